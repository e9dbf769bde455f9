//! Element-wise `add`, `sub`, `mul`, `div` with NumPy broadcasting.

use ndarray::{ArcArray, ArrayD, IxDyn};

use crate::autograd::OpKind;
use crate::autograd::broadcast_shape;
use crate::error::{TensorError, unwrap_or_fail};
use crate::{Element, Tensor};

macro_rules! binary_op {
    ($(#[$doc:meta])* $name:ident, $try_name:ident, $kind:ident, $sym:tt) => {
        $(#[$doc])*
        ///
        /// # Panics
        /// When the shapes cannot be broadcast together; the message names both.
        #[track_caller]
        pub fn $name(&self, other: &Tensor<T>) -> Tensor<T> {
            unwrap_or_fail(self.$try_name(other))
        }

        #[doc = concat!("[`", stringify!($name), "`](Self::", stringify!($name),
            "), returning [`TensorError::Broadcast`] instead of panicking.")]
        pub fn $try_name(&self, other: &Tensor<T>) -> Result<Tensor<T>, TensorError> {
            let data = broadcast_zip(self, other, stringify!($name), |a, b| a $sym b)?;
            Ok(Tensor::from_op(data, OpKind::$kind, &[self, other]))
        }
    };
}

impl<T: Element> Tensor<T> {
    binary_op!(
        /// `self + other`, element-wise with broadcasting.
        ///
        /// ```
        /// use ferrograd::Tensor;
        /// let a = Tensor::from_array(ndarray::array![[1.0f32, 2.0], [3.0, 4.0]]);
        /// let b = Tensor::from_array(ndarray::array![10.0f32, 20.0]);
        /// assert_eq!(a.add(&b).to_array(), ndarray::array![[11.0, 22.0], [13.0, 24.0]].into_dyn());
        /// ```
        add, try_add, Add, +
    );
    binary_op!(
        /// `self - other`, element-wise with broadcasting.
        sub, try_sub, Sub, -
    );
    binary_op!(
        /// `self * other`, element-wise with broadcasting.
        mul, try_mul, Mul, *
    );
    binary_op!(
        /// `self / other`, element-wise with broadcasting.
        div, try_div, Div, /
    );
}

/// Applies `f` to both operands' data after checking that their shapes broadcast.
fn broadcast_zip<T: Element>(
    lhs: &Tensor<T>,
    rhs: &Tensor<T>,
    op: &'static str,
    f: impl Fn(&ArcArray<T, IxDyn>, &ArcArray<T, IxDyn>) -> ArrayD<T>,
) -> Result<ArrayD<T>, TensorError> {
    let (a, b) = (lhs.data(), rhs.data());
    if broadcast_shape(a.shape(), b.shape()).is_none() {
        return Err(TensorError::Broadcast {
            op,
            lhs: a.shape().to_vec(),
            rhs: b.shape().to_vec(),
        });
    }
    Ok(f(&a, &b))
}

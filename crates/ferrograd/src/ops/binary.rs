//! Element-wise `add`, `sub`, `mul`, `div` with NumPy broadcasting.

use ndarray::{ArrayD, IxDyn};

use crate::autograd::{OpKind, Tensor};
use crate::error::{TensorError, check_indexable, unwrap_or_fail};
use crate::kernels::{Element, broadcast_shape, zip_map};

macro_rules! binary_op {
    ($(#[$doc:meta])* $name:ident, $try_name:ident, $kind:ident, $sym:tt) => {
        $(#[$doc])*
        ///
        /// # Panics
        /// When the shapes cannot be broadcast together, or broadcast to a shape no array can
        /// have; the message names the shapes.
        #[track_caller]
        pub fn $name(&self, other: &Tensor<T>) -> Tensor<T> {
            unwrap_or_fail(self.$try_name(other))
        }

        #[doc = concat!("[`", stringify!($name), "`](Self::", stringify!($name),
            "), returning [`TensorError::Broadcast`] (or, for shapes that broadcast to one no ",
            "array can have, [`TensorError::TooLarge`]) instead of panicking.")]
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

/// `f(a, b)` for each pair of elements of both operands' data, broadcast, after checking that
/// their shapes broadcast to a shape an array can have.
fn broadcast_zip<T: Element>(
    lhs: &Tensor<T>,
    rhs: &Tensor<T>,
    op: &'static str,
    f: impl Fn(T, T) -> T,
) -> Result<ArrayD<T>, TensorError> {
    let (a, b) = (lhs.data(), rhs.data());
    let shape = broadcast_shape(a.shape(), b.shape()).ok_or_else(|| TensorError::Broadcast {
        op,
        lhs: a.shape().to_vec(),
        rhs: b.shape().to_vec(),
    })?;
    check_indexable(op, &shape)?;
    if shape.contains(&0) {
        // No elements; `f` would still walk every (empty) row, as many as the other sizes
        // multiply to.
        return Ok(ArrayD::zeros(IxDyn(&shape)));
    }
    Ok(zip_map(&*a, &*b, &shape, f))
}

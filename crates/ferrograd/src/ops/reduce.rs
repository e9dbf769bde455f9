//! Reductions over one axis or all of them: `sum`, `mean`, `max`.

use ndarray::{ArcArray, ArrayD, Axis, IxDyn};

use crate::autograd::{OpKind, Tensor};
use crate::error::{TensorError, unwrap_or_fail};
use crate::kernels::Element;

/// Turns a NumPy-style axis (negative counts from the end) into an index below `shape.len()`.
pub(crate) fn normalize_axis(
    op: &'static str,
    axis: isize,
    shape: &[usize],
) -> Result<usize, TensorError> {
    let ndim = shape.len() as isize;
    let index = if axis < 0 { axis + ndim } else { axis };
    if (0..ndim).contains(&index) {
        Ok(index as usize)
    } else {
        Err(TensorError::AxisOutOfRange {
            op,
            axis,
            shape: shape.to_vec(),
        })
    }
}

/// Reduces `data` with `fold` over `axis`, or over everything when `axis` is `None`, and keeps
/// reduced axes with size 1 when `keepdims`.
fn reduce<T: Element>(
    data: &ArcArray<T, IxDyn>,
    axis: Option<usize>,
    keepdims: bool,
    fold: impl Fn(ndarray::ArrayViewD<T>) -> T,
) -> ArrayD<T> {
    match axis {
        Some(axis) => {
            let reduced = data.map_axis(Axis(axis), |lane| fold(lane.into_dyn()));
            if keepdims {
                reduced.insert_axis(Axis(axis))
            } else {
                reduced
            }
        }
        None => {
            let value = fold(data.view());
            let shape = if keepdims {
                vec![1; data.ndim()]
            } else {
                vec![]
            };
            ArrayD::from_elem(shape, value)
        }
    }
}

macro_rules! reduction {
    ($(#[$doc:meta])* $name:ident, $try_name:ident, $kind:ident, $fold:expr) => {
        $(#[$doc])*
        ///
        /// `axis` may be negative (counting from the end, as in NumPy); `None` reduces every axis
        /// to a 0-d tensor, or to all-ones shape with `keepdims`.
        ///
        /// # Panics
        /// When `axis` is out of range; see the `try_` form.
        #[track_caller]
        pub fn $name(&self, axis: Option<isize>, keepdims: bool) -> Tensor<T> {
            unwrap_or_fail(self.$try_name(axis, keepdims))
        }

        #[doc = concat!("[`", stringify!($name), "`](Self::", stringify!($name),
            "), returning [`TensorError::AxisOutOfRange`] instead of panicking.")]
        pub fn $try_name(&self, axis: Option<isize>, keepdims: bool) -> Result<Tensor<T>, TensorError> {
            let data = self.data();
            let axis = axis
                .map(|a| normalize_axis(stringify!($name), a, data.shape()))
                .transpose()?;
            let reduced = reduce(&data, axis, keepdims, $fold);
            Ok(Tensor::from_op(reduced, OpKind::$kind { axis, keepdims }, &[self]))
        }
    };
}

impl<T: Element> Tensor<T> {
    reduction!(
        /// The sum over `axis`.
        ///
        /// ```
        /// use ferrograd::Tensor;
        /// let t = Tensor::from_array(ndarray::array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        /// assert_eq!(t.sum(Some(1), false).to_array(), ndarray::array![6.0, 15.0].into_dyn());
        /// assert_eq!(t.sum(Some(-2), true).shape(), vec![1, 3]);
        /// assert_eq!(t.sum(None, false).item(), 21.0);
        /// ```
        sum, try_sum, Sum, |lane| lane.sum()
    );
    reduction!(
        /// The arithmetic mean over `axis`.
        mean, try_mean, Mean, |lane| lane.sum() / T::from_f64(lane.len() as f64)
    );
    reduction!(
        /// The maximum over `axis`. Its gradient goes to the maximal element of each reduced
        /// slice, split evenly between tied elements.
        max, try_max, Max, |lane| lane.fold(T::neg_infinity(), |m, &x| m.max(x))
    );

    /// The sum of all elements, as a 0-d tensor: `sum(None, false)`.
    pub fn sum_all(&self) -> Tensor<T> {
        self.sum(None, false)
    }

    /// The mean of all elements, as a 0-d tensor: `mean(None, false)`.
    pub fn mean_all(&self) -> Tensor<T> {
        self.mean(None, false)
    }

    /// The largest element, as a 0-d tensor: `max(None, false)`.
    pub fn max_all(&self) -> Tensor<T> {
        self.max(None, false)
    }
}

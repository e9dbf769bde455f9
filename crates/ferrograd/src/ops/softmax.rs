//! Numerically stable `softmax` and `log_softmax` along an axis.

use ndarray::{ArrayBase, ArrayD, Axis, Data, IxDyn, Zip};

use super::reduce::normalize_axis;
use crate::autograd::{OpKind, Tensor};
use crate::error::{TensorError, unwrap_or_fail};
use crate::kernels::Element;

/// `x - max(x)` along `axis` (kept with size 1), so that `exp` cannot overflow.
fn shifted<T: Element, S: Data<Elem = T>>(x: &ArrayBase<S, IxDyn>, axis: usize) -> ArrayD<T> {
    let max = x
        .fold_axis(Axis(axis), T::neg_infinity(), |m, &v| m.max(v))
        .insert_axis(Axis(axis));
    x - &max
}

/// `exp(x) / sum(exp(x))` along `axis`, computed from the shifted values.
pub(crate) fn softmax_array<T: Element, S: Data<Elem = T>>(
    x: &ArrayBase<S, IxDyn>,
    axis: usize,
) -> ArrayD<T> {
    let mut e = shifted(x, axis).mapv_into(T::exp);
    let total = e.sum_axis(Axis(axis)).insert_axis(Axis(axis));
    Zip::from(&mut e)
        .and_broadcast(&total)
        .for_each(|v, &s| *v /= s);
    e
}

impl<T: Element> Tensor<T> {
    /// `exp(x) / sum(exp(x))` along `axis` (negative counts from the end), computed stably by
    /// first subtracting the maximum.
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// let logits = Tensor::from_array(ndarray::array![[1.0f64, 1.0], [0.0, 1000.0]]);
    /// let p = logits.softmax(-1).to_array();
    /// assert_eq!(p, ndarray::array![[0.5, 0.5], [0.0, 1.0]].into_dyn());
    /// ```
    ///
    /// # Panics
    /// When `axis` is out of range; see [`try_softmax`](Self::try_softmax).
    #[track_caller]
    pub fn softmax(&self, axis: isize) -> Tensor<T> {
        unwrap_or_fail(self.try_softmax(axis))
    }

    /// [`softmax`](Self::softmax), returning [`TensorError::AxisOutOfRange`] instead of
    /// panicking.
    pub fn try_softmax(&self, axis: isize) -> Result<Tensor<T>, TensorError> {
        let data = self.data();
        let axis = normalize_axis("softmax", axis, data.shape())?;
        let out = softmax_array(&data, axis);
        Ok(Tensor::from_op(out, OpKind::Softmax { axis }, &[self]))
    }

    /// `log(softmax(x))` along `axis`, computed stably as `x - max - log(sum(exp(x - max)))`.
    ///
    /// # Panics
    /// When `axis` is out of range; see [`try_log_softmax`](Self::try_log_softmax).
    #[track_caller]
    pub fn log_softmax(&self, axis: isize) -> Tensor<T> {
        unwrap_or_fail(self.try_log_softmax(axis))
    }

    /// [`log_softmax`](Self::log_softmax), returning [`TensorError::AxisOutOfRange`] instead of
    /// panicking.
    pub fn try_log_softmax(&self, axis: isize) -> Result<Tensor<T>, TensorError> {
        let data = self.data();
        let axis = normalize_axis("log_softmax", axis, data.shape())?;
        let mut out = shifted(&data, axis);
        let log_total = out
            .mapv(T::exp)
            .sum_axis(Axis(axis))
            .mapv_into(T::ln)
            .insert_axis(Axis(axis));
        Zip::from(&mut out)
            .and_broadcast(&log_total)
            .for_each(|v, &l| *v -= l);
        Ok(Tensor::from_op(out, OpKind::LogSoftmax { axis }, &[self]))
    }
}

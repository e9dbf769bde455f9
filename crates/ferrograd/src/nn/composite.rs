//! The original design's functions written from primitive operations only, kept beside the
//! fused operations that replace them for speed. They give the same numbers (tests check that,
//! gradients included) and show how each derivative follows from the primitives' rules.
//!
//! ```
//! use ferrograd::Tensor;
//! use ferrograd::nn::composite;
//! let x = Tensor::from_array(ndarray::array![[0.5f64, -2.0, 3.0]]);
//! let fused = x.tanh().to_array();
//! let composed = composite::tanh(&x).to_array();
//! assert!(fused.iter().zip(&composed).all(|(a, b)| (a - b).abs() < 1e-15));
//! ```

use ndarray::Array2;

use crate::autograd::Tensor;
use crate::kernels::Element;

/// The original's linear layer, `x·w + b`, from `matmul` and `+` (see
/// [`Tensor::matmul_add`] for the fused form [`Linear`](super::Linear) uses).
pub fn linear<T: Element>(x: &Tensor<T>, w: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
    x.matmul(w) + b
}

/// `tanh(x) = 2 / (1 + e^(-2x)) - 1`, from `exp`, `+`, `*` and `/`: no overflow for either sign.
pub fn tanh<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    let two = T::from_f64(2.0);
    Tensor::scalar(two) / ((x * -two).exp() + T::one()) - T::one()
}

/// `exp(x - max) / sum(exp(x - max))` along `axis`, from `max`, `-`, `exp`, `sum` and `/`.
pub fn softmax<T: Element>(x: &Tensor<T>, axis: isize) -> Tensor<T> {
    let shifted = x - &x.max(Some(axis), true).detach();
    let e = shifted.exp();
    &e / &e.sum(Some(axis), true)
}

/// The original's loss: `-mean(sum(onehot · log(softmax(logits) + 1e-8), axis 1))`.
///
/// # Panics
/// When `logits` is not `(batch, classes)` or a label is not below `classes`.
pub fn cross_entropy<T: Element>(logits: &Tensor<T>, labels: &[usize]) -> Tensor<T> {
    let shape = logits.shape();
    let mut onehot = Array2::zeros((shape[0], shape[1]));
    for (row, &label) in labels.iter().enumerate() {
        onehot[[row, label]] = T::one();
    }
    let log_p = (softmax(logits, 1) + T::from_f64(1e-8)).log();
    -(Tensor::from_array(onehot) * log_p)
        .sum(Some(1), false)
        .mean(None, false)
}

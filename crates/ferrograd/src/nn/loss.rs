//! Loss functions: [`cross_entropy`] for classification, [`mse`] for regression.

use ndarray::Array2;

use crate::autograd::Tensor;
use crate::error::unwrap_or_fail;
use crate::kernels::Element;

/// What is wrong with the arguments of a loss function.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LossError {
    /// Logits that are not a 2-d `(batch, classes)` tensor.
    #[error("cross_entropy: logits must be 2-d (batch, classes), got shape {shape:?}")]
    LogitsRank {
        /// The logits' shape.
        shape: Vec<usize>,
    },
    /// A number of labels different from the batch size.
    #[error("cross_entropy: {labels} labels for a batch of {batch} logit rows")]
    LabelCount {
        /// The number of labels.
        labels: usize,
        /// The number of rows of the logits.
        batch: usize,
    },
    /// A label that is not a class index.
    #[error("cross_entropy: label {label} at index {index} is out of range for {classes} classes")]
    LabelOutOfRange {
        /// The label's position in the batch.
        index: usize,
        /// The label.
        label: usize,
        /// The number of classes (columns of the logits).
        classes: usize,
    },
    /// A prediction and a target of different shapes.
    #[error("mse: prediction of shape {pred:?} and target of shape {target:?} differ")]
    ShapeMismatch {
        /// The prediction's shape.
        pred: Vec<usize>,
        /// The target's shape.
        target: Vec<usize>,
    },
}

/// The mean over the batch of `-log softmax(logits)[i, labels[i]]`, for `logits` of shape
/// `(batch, classes)`.
///
/// It is computed through [`log_softmax`](Tensor::log_softmax), so it stays finite for any
/// logits, and its gradient is `(softmax(logits) - onehot(labels)) / batch`.
///
/// ```
/// use ferrograd::nn::cross_entropy;
/// use ferrograd::Tensor;
///
/// let logits = Tensor::from_array(ndarray::array![[0.0f64, 0.0], [1000.0, 0.0]]).requires_grad();
/// let loss = cross_entropy(&logits, &[1, 0]); // (ln 2 + 0) / 2
/// assert!((loss.item() - std::f64::consts::LN_2 / 2.0).abs() < 1e-12);
/// loss.backward();
/// assert_eq!(logits.grad().unwrap()[[0, 1]], -0.25); // (0.5 - 1) / 2
/// ```
///
/// # Panics
/// When `logits` is not 2-d, `labels.len()` is not the batch size or a label is not below the
/// number of classes; see [`try_cross_entropy`].
#[track_caller]
pub fn cross_entropy<T: Element>(logits: &Tensor<T>, labels: &[usize]) -> Tensor<T> {
    unwrap_or_fail(try_cross_entropy(logits, labels))
}

/// [`cross_entropy`], returning a [`LossError`] instead of panicking.
pub fn try_cross_entropy<T: Element>(
    logits: &Tensor<T>,
    labels: &[usize],
) -> Result<Tensor<T>, LossError> {
    let &[batch, classes] = &logits.shape()[..] else {
        return Err(LossError::LogitsRank {
            shape: logits.shape(),
        });
    };
    if labels.len() != batch {
        return Err(LossError::LabelCount {
            labels: labels.len(),
            batch,
        });
    }
    if let Some((index, &label)) = labels.iter().enumerate().find(|&(_, &l)| l >= classes) {
        return Err(LossError::LabelOutOfRange {
            index,
            label,
            classes,
        });
    }
    // -1/batch at each row's label, 0 elsewhere: Σ weights ⊙ log_softmax is the mean loss.
    let mut weights = Array2::zeros((batch, classes));
    let weight = T::from_f64(-1.0 / batch as f64);
    for (row, &label) in labels.iter().enumerate() {
        weights[[row, label]] = weight;
    }
    Ok((logits.log_softmax(-1) * Tensor::from_array(weights)).sum_all())
}

/// The mean squared error `mean((pred - target)²)`.
///
/// ```
/// use ferrograd::nn::mse;
/// use ferrograd::Tensor;
///
/// let pred = Tensor::from_array(ndarray::array![1.0f32, 2.0, 4.0]);
/// let target = Tensor::from_array(ndarray::array![1.0f32, 0.0, 1.0]);
/// assert_eq!(mse(&pred, &target).item(), (0.0 + 4.0 + 9.0) / 3.0);
/// ```
///
/// # Panics
/// When the shapes differ (broadcasting is refused, as it usually hides a `(n, 1)` against
/// `(n,)` mistake); see [`try_mse`].
#[track_caller]
pub fn mse<T: Element>(pred: &Tensor<T>, target: &Tensor<T>) -> Tensor<T> {
    unwrap_or_fail(try_mse(pred, target))
}

/// [`mse`], returning [`LossError::ShapeMismatch`] instead of panicking.
pub fn try_mse<T: Element>(pred: &Tensor<T>, target: &Tensor<T>) -> Result<Tensor<T>, LossError> {
    if pred.shape() != target.shape() {
        return Err(LossError::ShapeMismatch {
            pred: pred.shape(),
            target: target.shape(),
        });
    }
    let diff = pred - target;
    Ok((&diff * &diff).mean_all())
}

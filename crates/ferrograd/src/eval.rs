//! Measuring a classifier on a data set: accuracy and mean loss, without recording a graph.

use ndarray::Axis;

use crate::autograd::{Tensor, no_grad};
use crate::data::{Batch, Dataset};
use crate::kernels::Element;
use crate::nn::{Module, cross_entropy};

/// A classifier's accuracy and mean cross-entropy over a data set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// The fraction of images whose largest logit is their label, in `[0, 1]`.
    pub accuracy: f64,
    /// The cross-entropy averaged over every image.
    pub loss: f64,
}

/// Runs `model` over `dataset` in batches of `batch_size` (the last one may be smaller) inside
/// [`no_grad`], and returns its accuracy and mean cross-entropy.
///
/// # Panics
/// When `batch_size` is 0.
pub fn evaluate<T: Element>(
    model: &impl Module<T>,
    dataset: &Dataset,
    batch_size: usize,
) -> Evaluation {
    let (mut correct, mut loss_sum) = (0usize, 0.0);
    let mut batch = Batch::<T>::default();
    let mut batches = dataset.batches::<T>(batch_size, None);
    no_grad(|| {
        while batches.next_into(&mut batch) {
            let logits = model.forward(&Tensor::from_array(batch.images.clone()));
            let size = batch.labels.len() as f64;
            loss_sum += cross_entropy(&logits, &batch.labels).item().to_f64() * size;
            correct += predictions(&logits)
                .iter()
                .zip(&batch.labels)
                .filter(|(p, l)| p == l)
                .count();
        }
    });
    let total = dataset.len().max(1) as f64;
    Evaluation {
        accuracy: correct as f64 / total,
        loss: loss_sum / total,
    }
}

/// The index of the largest logit in each row of a `(batch, classes)` tensor.
pub fn predictions<T: Element>(logits: &Tensor<T>) -> Vec<usize> {
    logits
        .data()
        .axis_iter(Axis(0))
        .map(|row| {
            row.iter()
                .enumerate()
                .fold((0, T::neg_infinity()), |best, (i, &v)| {
                    if v > best.1 { (i, v) } else { best }
                })
                .0
        })
        .collect()
}

//! [`Learner`]: a model and its optimizer, trained on the mean cross-entropy of batches.

use crate::autograd::Tensor;
use crate::kernels::Element;
use crate::nn::{Module, cross_entropy};
use crate::optim::Optimizer;

/// A classifier and its optimizer, trained one batch at a time on the mean cross-entropy of the
/// batch's logits. One step is [`compute_gradients`](Self::compute_gradients), then
/// [`apply_update`](Self::apply_update) ([`step`](Self::step) does both); between the two, the
/// gradients are on [`parameters`](Self::parameters), to be read, combined and written back.
///
/// The optimizer must have been made over the model's parameters (`model.parameters()`).
pub struct Learner<M, O, T: Element = f32> {
    model: M,
    optimizer: O,
    parameters: Vec<Tensor<T>>,
}

impl<T: Element, M: Module<T>, O: Optimizer> Learner<M, O, T> {
    /// Trains `model` with `optimizer`, which updates `model.parameters()`.
    pub fn new(model: M, optimizer: O) -> Self {
        let parameters = model.parameters();
        Learner {
            model,
            optimizer,
            parameters,
        }
    }

    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model's parameters, in [`Module::parameters`]' order: the order of
    /// [`read_gradients`](super::read_gradients)' buffer.
    pub fn parameters(&self) -> &[Tensor<T>] {
        &self.parameters
    }

    /// The first half of a step: sets the parameters' gradients to those of the mean
    /// cross-entropy of the model's logits for the batch `x` with classes `labels`, and returns
    /// that loss. The parameters do not change.
    ///
    /// # Panics
    /// When `x` does not fit the model, or `labels` does not fit the logits.
    #[track_caller]
    pub fn compute_gradients(&mut self, x: &Tensor<T>, labels: &[usize]) -> T {
        self.optimizer.zero_grad();
        let loss = cross_entropy(&self.model.forward(x), labels);
        loss.backward();
        loss.item()
    }

    /// The second half of a step: the optimizer updates the parameters from their gradients.
    pub fn apply_update(&mut self) {
        self.optimizer.step();
    }

    /// One whole step on the batch `x` with classes `labels`; returns the loss before the
    /// update.
    ///
    /// # Panics
    /// As [`compute_gradients`](Self::compute_gradients).
    #[track_caller]
    pub fn step(&mut self, x: &Tensor<T>, labels: &[usize]) -> T {
        let loss = self.compute_gradients(x, labels);
        self.apply_update();
        loss
    }
}

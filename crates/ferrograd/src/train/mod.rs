//! Training a classifier one batch at a time, and the original recipe's settings.
//!
//! A [`Learner`] holds a model and its optimizer. Its step is split in two halves,
//! [`compute_gradients`](Learner::compute_gradients) (the mean cross-entropy of a batch and its
//! gradients) and [`apply_update`](Learner::apply_update) (the optimizer's step), so that
//! between them a data-parallel trainer can combine the gradients of the processes' shares of a
//! batch: [`read_gradients`] copies every parameter's gradient into one contiguous buffer, in the
//! parameters' order, and [`write_gradients`] copies a buffer back. [`recipe`] holds the original
//! assignment's settings, which `ferrograd train`, its benchmark and the page share.
//!
//! ```
//! use ferrograd::nn::{Activation, Mlp};
//! use ferrograd::optim::Sgd;
//! use ferrograd::train::{Learner, gradients_len, read_gradients, write_gradients};
//! use ferrograd::Tensor;
//!
//! let model = Mlp::<f32>::new(&[1, 8, 2], Activation::Tanh, 0);
//! let sgd = Sgd::new(ferrograd::nn::Module::parameters(&model), 0.5);
//! let mut learner = Learner::new(model, sgd);
//! let x = Tensor::from_array(ndarray::array![[-2.0f32], [-1.0], [1.0], [2.0]]);
//! let first = learner.step(&x, &[0, 0, 1, 1]);
//!
//! // The same step in halves, with the gradients halved in between in one buffer.
//! learner.compute_gradients(&x, &[0, 0, 1, 1]);
//! let mut buffer = vec![0.0; gradients_len(learner.parameters())];
//! read_gradients(learner.parameters(), &mut buffer, 0.5);
//! write_gradients(learner.parameters(), &buffer);
//! learner.apply_update();
//! for _ in 0..100 {
//!     learner.step(&x, &[0, 0, 1, 1]);
//! }
//! assert!(learner.compute_gradients(&x, &[0, 0, 1, 1]) < first / 10.0);
//! ```

mod gradients;
mod learner;
pub mod recipe;

pub use gradients::{gradients_len, read_gradients, write_gradients};
pub use learner::Learner;

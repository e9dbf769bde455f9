//! Neural networks: layers, the MLP, losses and checkpoints.
//!
//! - [`Module`] is anything with named parameters and a `forward`; [`Linear`] (`x·W + b`) and
//!   [`Mlp`] (linear layers with an [`Activation`] between them) implement it.
//! - [`cross_entropy`] and [`mse`] turn a batch's outputs into a 0-d loss to call
//!   [`backward`](crate::Tensor::backward) on.
//! - [`save`] and [`load`] write and read the parameters as a safetensors file, which records
//!   the network's [`Architecture`] (layer sizes, activation, dtype) in its metadata;
//!   [`Mlp::from_safetensors`] rebuilds an MLP from one.
//!
//! Shapes: a batch is a 2-d tensor `(batch, features)`; a layer's weight is `(in, out)`
//! and its bias `(1, out)`, broadcast over the batch.
//!
//! ```
//! use ferrograd::nn::{cross_entropy, Activation, Mlp, Module};
//! use ferrograd::optim::{Optimizer, Sgd};
//! use ferrograd::Tensor;
//!
//! // Learn to tell the sign of a number.
//! let x = Tensor::from_array(ndarray::array![[-2.0f32], [-1.0], [1.0], [2.0]]);
//! let labels = [0, 0, 1, 1];
//! let model = Mlp::new(&[1, 8, 2], Activation::Tanh, 0);
//! let mut optimizer = Sgd::new(model.parameters(), 0.5);
//! let first = cross_entropy(&model.forward(&x), &labels).item();
//! for _ in 0..100 {
//!     optimizer.zero_grad();
//!     cross_entropy(&model.forward(&x), &labels).backward();
//!     optimizer.step();
//! }
//! let last = cross_entropy(&model.forward(&x), &labels).item();
//! assert!(last < first / 10.0, "{first} -> {last}");
//! ```

mod activation;
mod architecture;
mod checkpoint;
pub mod composite;
mod error;
mod linear;
mod loss;
mod mlp;
mod module;

pub use activation::{Activation, ParseActivationError};
pub use architecture::{Architecture, Assumption};
pub use checkpoint::{load, load_bytes, save, to_bytes};
pub use error::CheckpointError;
pub use linear::Linear;
pub use loss::{LossError, cross_entropy, mse, try_cross_entropy, try_mse};
pub use mlp::{LoadedMlp, Mlp};
pub use module::Module;

//! Optimizers: update parameters in place from the gradients `backward` left on them.
//!
//! An [`Optimizer`] holds handles to the parameters (from
//! [`Module::parameters`](crate::nn::Module::parameters)). A training step is:
//! [`zero_grad`](Optimizer::zero_grad), forward, `loss.backward()`,
//! [`step`](Optimizer::step). Both optimizers follow PyTorch's definitions, so the same
//! hyper-parameters mean the same thing.
//!
//! - [`Sgd`]: stochastic gradient descent with optional momentum and weight decay.
//! - [`Adam`]: Adam with bias correction and optional (L2) weight decay.
//!
//! Each has a settings struct ([`SgdConfig`], [`AdamConfig`]) and a fallible constructor
//! (`try_new`) that refuses a setting out of its range with an [`OptimError`]; the rules are
//! written once, there, for every caller.
//!
//! ```
//! use ferrograd::optim::{Adam, Optimizer};
//! use ferrograd::Tensor;
//!
//! // Minimise (x - 3)².
//! let x = Tensor::from_array(ndarray::array![0.0f64]).requires_grad();
//! let mut optimizer = Adam::new(vec![x.clone()], 0.1);
//! for _ in 0..500 {
//!     optimizer.zero_grad();
//!     (&x - 3.0).powf(2.0).sum_all().backward();
//!     optimizer.step();
//! }
//! assert!((x.item() - 3.0).abs() < 1e-3);
//! ```

mod adam;
mod error;
mod optimizer;
mod sgd;

pub use adam::{Adam, AdamConfig};
pub use error::OptimError;
pub use optimizer::Optimizer;
pub use sgd::{Sgd, SgdConfig};

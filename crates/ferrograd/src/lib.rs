//! # ferrograd
//!
//! A small, fast, readable reverse-mode automatic differentiation library on [`ndarray`].
//!
//! A [`Tensor`] wraps an n-d array of `f32` or `f64` and records the operations that made it.
//! [`Tensor::backward`] walks that record in reverse topological order and adds the gradient
//! into every leaf created with [`Tensor::requires_grad`]. Binary operations broadcast by
//! NumPy's rules; their gradients are summed back to each operand's shape
//! ([`broadcast_grad_accumulate`]).
//!
//! ```
//! use ferrograd::Tensor;
//! use ndarray::array;
//!
//! // The sigmoid written from primitives, as in the original design.
//! let x = Tensor::from_array(array![[1.0f64, 2.0, 3.0], [6.0, 4.0, 0.0]]).requires_grad();
//! let s = 1.0 / (1.0 + (-1.0 * &x).exp());
//! s.backward();
//!
//! // dσ/dx = σ(x)(1 - σ(x))
//! let sigma = s.to_array();
//! let expected = &sigma * &(1.0 - &sigma);
//! let grad = x.grad().unwrap();
//! assert!(grad.iter().zip(&expected).all(|(g, e)| (g - e).abs() < 1e-12));
//! println!("{s}"); // tensor([[0.731 0.881 0.953] ...], grad_fn=<DivBackward>)
//! ```
//!
//! Modules:
//! - the operations are methods on [`Tensor`] (`add`, `matmul`, `sum`, `softmax`, ...) and the
//!   operators `+ - * /`; each fallible one has a `try_` form returning [`TensorError`];
//! - [`no_grad`] evaluates without recording; [`gradcheck`] compares gradients with finite
//!   differences;
//! - [`nn`] has layers, the MLP and losses; [`optim`] has SGD and Adam; [`train`] has the
//!   training step in two halves (gradients, update) and the original recipe's settings;
//! - [`data`] reads IDX data sets such as MNIST;
//! - [`kernels`] is the matrix product, split over [`set_num_threads`] threads (default: every
//!   CPU), and the rest of the CPU machinery.
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]

pub mod atomic;
pub mod data;
pub mod eval;
pub mod kernels;
pub mod nn;
pub mod optim;
pub mod train;

mod autograd;
mod error;
mod inspect;
mod ops;

pub use autograd::{
    SortedNodes, Tensor, broadcast_grad_accumulate, is_grad_enabled, live_tensors, no_grad,
    set_grad_enabled,
};
pub use error::TensorError;
pub use inspect::{GradcheckReport, gradcheck, try_gradcheck};
pub use kernels::{Element, broadcast_shape, num_threads, set_num_threads};

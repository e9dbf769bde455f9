//! The `ferrograd` Python module: the original assignment's NumPy `Tensor` API on ferrograd's
//! Rust engine.
//!
//! This crate is a thin skin: it converts at the edge (Python objects and NumPy arrays in, NumPy
//! arrays out) and maps the library's errors to `ValueError` / `TypeError` with the library's
//! message. Every derivative, every shape rule and every kernel is the `ferrograd` crate's.
//!
//! - [`dtype`]: float64 or float32, chosen at run time: the one enum every class of either type
//!   holds, and its `dispatch!`.
//! - [`tensor`]: the `Tensor` class, its operators and properties.
//! - [`convert`]: Python objects to arrays and tensors, arrays back to NumPy.
//! - [`functions`]: the original module-level functions (`add`, `sum`, `ensure_tensor`,
//!   `broadcast_grad_accumulate`, ...) and the extras (`tanh`, `softmax`, ...).
//! - [`nn`], [`optim`], [`data`]: `ferrograd.nn`, `ferrograd.optim`, `ferrograd.data`.
//! - [`errors`]: the mapping of library errors and panics to Python exceptions.
//!
//! The Python package around it (`python/ferrograd/`) holds only re-exports, `__all__` and the
//! `.pyi` stubs.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]

use pyo3::prelude::*;

pub mod convert;
pub mod data;
pub mod dtype;
pub mod errors;
pub mod functions;
pub mod nn;
pub mod optim;
pub mod share;
pub mod tensor;
pub mod thread_bound;

/// The native module, imported by the `ferrograd` package as `ferrograd._ferrograd`.
#[pymodule]
fn _ferrograd(m: &Bound<'_, PyModule>) -> PyResult<()> {
    tensor::register(m)?;
    m.add_class::<share::SharedBuffer>()?;
    functions::register(m)?;
    nn::register(m)?;
    optim::register(m)?;
    data::register(m)?;
    Ok(())
}

//! Library errors to Python exceptions, and the guard that keeps a Rust panic from ever reaching
//! Python as a `PanicException`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use ferrograd::TensorError;
use pyo3::PyErr;
use pyo3::exceptions::{PyRuntimeError, PyValueError};

/// A library error as the `ValueError` Python code expects, with the library's own message
/// (which names the operation and both shapes).
pub fn value_error(error: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// Maps a [`TensorError`] to a Python exception: the library's message, which says what is
/// wrong, and, where it helps, how to fix it in Python's terms.
pub fn tensor_error(error: TensorError) -> PyErr {
    match error {
        TensorError::NoGrad => PyValueError::new_err(format!(
            "{error}; make its inputs with Tensor(..., requires_grad=True), outside \
             `with ferrograd.no_grad():`"
        )),
        error => value_error(error),
    }
}

/// Runs `f`, turning a panic inside the library into a `RuntimeError` naming what failed.
///
/// Every call of this crate goes through a library `try_*` form, so no panic is expected: this is
/// the last line of defence that keeps an unexpected one from aborting or surfacing as PyO3's
/// `PanicException` (which `except Exception` does not catch).
pub fn guarded<R>(what: &str, f: impl FnOnce() -> Result<R, PyErr>) -> Result<R, PyErr> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("unknown error");
            Err(PyRuntimeError::new_err(format!(
                "{what}: internal error in ferrograd: {message}"
            )))
        }
    }
}

//! Conversions at the edge: Python objects (numbers, nested lists, NumPy arrays of any numeric
//! dtype) into arrays of `f64` or `f32`, `dtype=` arguments into a [`Dtype`], and the NumPy
//! module's helpers this crate calls.

use ndarray::ArrayD;
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};

use crate::dtype::{Dtype, Float};

static ASARRAY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static NUMPY: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The `numpy` module.
pub fn numpy(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    NUMPY
        .get_or_try_init(py, || py.import("numpy").map(Bound::unbind))
        .map(|m| m.bind(py))
}

/// `numpy.asarray`.
fn asarray(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    ASARRAY.import(py, "numpy", "asarray")
}

/// A Python int, float or bool (not a NumPy array, not a string).
pub fn as_number(obj: &Bound<'_, PyAny>) -> Option<f64> {
    let number = obj.is_instance_of::<PyFloat>()
        || obj.is_instance_of::<PyInt>()
        || obj.is_instance_of::<PyBool>();
    number.then(|| obj.extract::<f64>().ok()).flatten()
}

/// `obj` as an array of `T`: anything `numpy.array(obj, dtype=float)` accepts, copied.
///
/// # Errors
/// `TypeError` for objects that are not numbers (strings, `None`, complex numbers, arbitrary
/// objects); `ValueError` for ragged nested lists. `what` names the caller in the message.
pub fn to_array<T: Float>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<ArrayD<T>> {
    if let Ok(array) = obj.cast::<PyArrayDyn<T>>() {
        return Ok(array.to_owned_array());
    }
    if let Some(value) = as_number(obj) {
        return Ok(ndarray::arr0(T::from_f64(value)).into_dyn());
    }
    let py = obj.py();
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected numbers, got the string {}",
            obj.repr()?
        )));
    }
    let array = asarray(py)?.call1((obj,)).map_err(|error| {
        let kind = if error.is_instance_of::<PyValueError>(py) {
            PyValueError::new_err
        } else {
            PyTypeError::new_err
        };
        kind(format!(
            "{what}: cannot make an array of {}: {}",
            type_name(obj),
            error.value(py)
        ))
    })?;
    let dtype = array.getattr("dtype")?;
    let kind: String = dtype.getattr("kind")?.extract()?;
    if !matches!(kind.as_str(), "b" | "i" | "u" | "f") {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected numbers, got {} of dtype {}",
            type_name(obj),
            dtype.str()?
        )));
    }
    let converted = array.call_method1("astype", (T::NAME,))?;
    Ok(converted.cast_into::<PyArrayDyn<T>>()?.to_owned_array())
}

/// The element type a `dtype=` argument asks for: `None` (float64), `"float32"`, `"float64"`,
/// `numpy.float32`, `numpy.dtype(...)`, `float`, ...: anything `numpy.dtype` accepts that names
/// one of the two.
pub fn parse_dtype(dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Dtype> {
    let Some(dtype) = dtype.filter(|d| !d.is_none()) else {
        return Ok(Dtype::DEFAULT);
    };
    let name: String = numpy(dtype.py())?
        .getattr("dtype")?
        .call1((dtype,))
        .and_then(|d| d.getattr("name")?.extract())
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "dtype must be float64 or float32, got {}",
                dtype.repr().map_or_else(|_| "?".into(), |r| r.to_string())
            ))
        })?;
    match name.as_str() {
        f64::NAME => Ok(Dtype::F64(())),
        f32::NAME => Ok(Dtype::F32(())),
        other => Err(PyTypeError::new_err(format!(
            "dtype must be float64 or float32, got {other}"
        ))),
    }
}

/// The shape of an object with a `.shape` attribute (a NumPy array, a ferrograd Tensor, or any
/// other Tensor class).
pub fn shape_of(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<usize>> {
    if let Ok(array) = obj.cast::<numpy::PyUntypedArray>() {
        return Ok(array.shape().to_vec());
    }
    let shape = obj.getattr("shape").map_err(|_| {
        PyTypeError::new_err(format!(
            "{what}: expected an object with a .shape (a Tensor or an ndarray), got {}",
            type_name(obj)
        ))
    })?;
    shape.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what}: .shape must be a tuple of non-negative ints, got {}",
            shape
                .repr()
                .map_or_else(|_| "?".to_string(), |r| r.to_string())
        ))
    })
}

/// The name of `obj`'s type, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_string(), |n| n.to_string())
}

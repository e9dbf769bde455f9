//! `ferrograd.data.load_mnist`: the MNIST files found (and, in the cache folder, downloaded and
//! verified) by the library's rule, as `ferrograd train` finds them, returned as NumPy arrays.

use std::io::IsTerminal;
use std::path::PathBuf;

use ferrograd::data::{Dataset, Mnist};
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;

/// The data from `dir`, else `$MNIST_DIR`, else the cache folder (downloading the four files
/// there, each checked against its SHA-256, when they are missing); a failed download's message
/// ends with the two ways out, in Python's terms.
fn find(dir: Option<PathBuf>) -> Result<Mnist, String> {
    let dir =
        Mnist::find_or_download(dir.as_deref(), std::io::stderr().is_terminal()).map_err(|e| {
            format!(
                "{e}; put the four files in a folder yourself and pass it as \
                 load_mnist(path), or set MNIST_DIR to that folder"
            )
        })?;
    Mnist::load(dir).map_err(|e| e.to_string())
}

/// A split's `uint8` images of shape `(n, rows * cols)` and `int64` labels.
type Split<'py> = (Bound<'py, PyArray2<u8>>, Bound<'py, PyArray1<i64>>);

/// A split as NumPy arrays.
fn arrays<'py>(py: Python<'py>, split: &Dataset) -> PyResult<Split<'py>> {
    let images =
        ndarray::Array2::from_shape_vec((split.len(), split.features()), split.images().to_vec())
            .map_err(|e| PyOSError::new_err(e.to_string()))?;
    let labels: Vec<i64> = split.labels().iter().map(|&l| i64::from(l)).collect();
    Ok((
        PyArray2::from_owned_array(py, images),
        PyArray1::from_vec(py, labels),
    ))
}

/// `((x_train, y_train), (x_test, y_test))`: MNIST's 60,000 training and 10,000 test images as
/// `uint8` arrays of shape `(n, 784)` (divide by 255 for `[0, 1]`) and their labels as `int64`.
///
/// The files are read from `dir`, else `$MNIST_DIR`, else the user's cache folder
/// (`~/.cache/ferrograd/mnist` on Linux), where missing files are downloaded from public mirrors
/// and checked against their SHA-256, as `ferrograd train` does. Raises `OSError` naming the file
/// when the data cannot be found, downloaded or read.
#[pyfunction]
#[pyo3(signature = (dir = None))]
fn load_mnist(py: Python<'_>, dir: Option<PathBuf>) -> PyResult<(Split<'_>, Split<'_>)> {
    let mnist = py.detach(|| find(dir)).map_err(PyOSError::new_err)?;
    Ok((arrays(py, &mnist.train)?, arrays(py, &mnist.test)?))
}

/// Registers `load_mnist` (re-exported by `ferrograd.data`).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(load_mnist, m)?)?;
    Ok(())
}

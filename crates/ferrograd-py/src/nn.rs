//! `ferrograd.nn`: the library's `Linear`, `Mlp`, losses and safetensors checkpoints.

use std::ffi::CString;

use ferrograd::Tensor;
use ferrograd::nn::{
    Activation, CheckpointError, Linear, Mlp, Module, load, save, try_cross_entropy, try_mse,
};
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyOSError, PyTypeError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;
use rand_seed::seeded;

use crate::convert::{numpy, parse_dtype};
use crate::dtype::{Dtyped, Family, Float, dispatch};
use crate::errors::{guarded, tensor_error, value_error};
use crate::tensor::{PyTensor, operand};
use crate::thread_bound::ThreadBound;

/// Seeds for layers made without one.
mod rand_seed {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};

    static COUNTER: AtomicU64 = AtomicU64::new(0);

    /// `seed`, or a fresh one from the clock and a counter.
    pub fn seeded(seed: Option<u64>) -> u64 {
        seed.unwrap_or_else(|| {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            nanos
                ^ COUNTER
                    .fetch_add(1, Ordering::Relaxed)
                    .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        })
    }
}

/// The family of `Linear` layers.
struct Linears;

impl Family for Linears {
    type Of<T: Float> = Linear<T>;
}

/// The family of `MLP`s.
struct Mlps;

impl Family for Mlps {
    type Of<T: Float> = Mlp<T>;
}

/// A checkpoint error as the Python exception for it: `OSError` when the file cannot be read or
/// written, `ValueError` when its contents do not fit.
fn checkpoint_error(error: CheckpointError) -> PyErr {
    match error {
        CheckpointError::Read { .. } | CheckpointError::Write { .. } => {
            PyOSError::new_err(error.to_string())
        }
        _ => value_error(error),
    }
}

/// `module(x)` for a batch `x`, converted to the module's dtype; `what` names the module.
fn forward<T: Float>(
    module: &impl Module<T>,
    x: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<PyTensor> {
    let x = operand::<T>(x, what)?;
    guarded(what, || {
        let out = module.try_forward(&x).map_err(tensor_error)?;
        Ok(PyTensor::new(T::wrap(out)))
    })
}

/// A module's parameters as a Python list of Tensors sharing the model's nodes, each with its
/// name when `named`.
fn parameter_list<'py, T: Float>(
    py: Python<'py>,
    module: &impl Module<T>,
    named: bool,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for (name, tensor) in module.named_parameters() {
        let tensor = Bound::new(py, PyTensor::new(T::wrap(tensor)))?;
        if named {
            list.append((name, tensor))?;
        } else {
            list.append(tensor)?;
        }
    }
    Ok(list)
}

/// A fully connected layer `x @ weight + bias`, with `weight` of shape `(in, out)` and `bias`
/// `(1, out)`, both drawn from uniform(±sqrt(1/in)) (PyTorch's default initialisation).
#[pyclass(name = "Linear", module = "ferrograd.nn", frozen)]
pub struct PyLinear {
    layer: ThreadBound<Dtyped<Linears>>,
}

#[pymethods]
impl PyLinear {
    #[new]
    #[pyo3(signature = (in_features, out_features, *, seed = None, dtype = None))]
    fn new(
        in_features: usize,
        out_features: usize,
        seed: Option<u64>,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seeded(seed));
        let layer = dispatch!(parse_dtype(dtype)?, <T> () => {
            T::wrap(Linear::<T>::new(in_features, out_features, &mut rng))
        });
        Ok(PyLinear {
            layer: ThreadBound::new(layer),
        })
    }

    /// The weight, shape `(in, out)`.
    #[getter]
    fn weight(&self) -> PyResult<PyTensor> {
        let weight = dispatch!(self.layer.get("Linear")?, <T> l => T::wrap(l.weight.clone()));
        Ok(PyTensor::new(weight))
    }

    /// The bias, shape `(1, out)`.
    #[getter]
    fn bias(&self) -> PyResult<PyTensor> {
        let bias = dispatch!(self.layer.get("Linear")?, <T> l => T::wrap(l.bias.clone()));
        Ok(PyTensor::new(bias))
    }

    /// `x @ weight + bias` for a batch `x` of shape `(batch, in)`.
    fn forward(&self, x: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        dispatch!(self.layer.get("Linear")?, l => forward(l, x, "Linear"))
    }

    fn __call__(&self, x: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        self.forward(x)
    }

    /// `[weight, bias]`, sharing the layer's tensors.
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        dispatch!(self.layer.get("Linear")?, l => parameter_list(py, l, false))
    }
}

/// A multi-layer perceptron: `Linear` layers of the given sizes with `activation` ("tanh",
/// "relu" or "sigmoid") between them; the last layer outputs logits. `seed` fixes the weights
/// (the same seed gives the same weights as `ferrograd train --seed`).
#[pyclass(name = "MLP", module = "ferrograd.nn", frozen)]
pub struct PyMlp {
    model: ThreadBound<Dtyped<Mlps>>,
}

impl PyMlp {
    fn model(&self) -> PyResult<&Dtyped<Mlps>> {
        self.model.get("MLP")
    }
}

/// Parses an activation name.
fn activation(name: &str) -> PyResult<Activation> {
    name.parse().map_err(value_error)
}

#[pymethods]
impl PyMlp {
    #[new]
    #[pyo3(signature = (sizes, activation = "tanh", *, seed = 0, dtype = None))]
    fn new(
        sizes: Vec<usize>,
        activation: &str,
        seed: Option<u64>,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        if sizes.len() < 2 {
            return Err(PyValueError::new_err(format!(
                "MLP: expected at least two sizes (inputs and outputs), got {sizes:?}"
            )));
        }
        let activation = self::activation(activation)?;
        let seed = seeded(seed);
        let model = dispatch!(parse_dtype(dtype)?, <T> () => {
            T::wrap(Mlp::<T>::new(&sizes, activation, seed))
        });
        Ok(PyMlp {
            model: ThreadBound::new(model),
        })
    }

    /// An MLP rebuilt from a safetensors file written by `save`, `ferrograd train` or the page:
    /// sizes, activation and dtype are read from the file. `activation`, if given, must be the
    /// one the file records; a file that records none (an older one, or another tool's) is read
    /// with it, or tanh, and a `UserWarning` says so.
    #[staticmethod]
    #[pyo3(signature = (path, activation = None))]
    fn from_file(
        py: Python<'_>,
        path: std::path::PathBuf,
        activation: Option<&str>,
    ) -> PyResult<Self> {
        let asked = activation.map(self::activation).transpose()?;
        let error = |error| match error {
            CheckpointError::WrongActivation {
                path,
                expected,
                found,
            } => PyValueError::new_err(format!(
                "MLP.from_file: activation='{expected}' contradicts {}, which records {found}; \
                 leave activation out to use the file's",
                path.display()
            )),
            error => checkpoint_error(error),
        };
        let (model, assumed) = match Mlp::<f32>::from_safetensors(&path, asked) {
            Ok(loaded) => (Dtyped::F32(loaded.mlp), loaded.assumed),
            Err(CheckpointError::WrongDtype { .. }) => {
                let loaded = Mlp::<f64>::from_safetensors(&path, asked).map_err(error)?;
                (Dtyped::F64(loaded.mlp), loaded.assumed)
            }
            Err(e) => return Err(error(e)),
        };
        if let Some(assumed) = assumed {
            let hint = if asked.is_none() {
                "; if it was trained with another activation, pass \
                 MLP.from_file(path, activation=...)"
            } else {
                ""
            };
            let message = CString::new(format!("{assumed}{hint}")).map_err(value_error)?;
            PyErr::warn(py, &py.get_type::<PyUserWarning>(), &message, 1)?;
        }
        Ok(PyMlp {
            model: ThreadBound::new(model),
        })
    }

    /// The layer sizes, input size first.
    #[getter]
    fn sizes(&self) -> PyResult<Vec<usize>> {
        Ok(dispatch!(self.model()?, m => m.sizes().to_vec()))
    }

    /// The activation's name.
    #[getter]
    fn activation(&self) -> PyResult<&'static str> {
        Ok(dispatch!(self.model()?, m => m.activation().name()))
    }

    /// The logits for a batch `x` of shape `(batch, sizes[0])`.
    fn forward(&self, x: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        dispatch!(self.model()?, m => forward(m, x, "MLP"))
    }

    fn __call__(&self, x: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        self.forward(x)
    }

    /// Every parameter (`fc1.weight`, `fc1.bias`, `fc2.weight`, ...), sharing the model's
    /// tensors: updating them updates the model.
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        dispatch!(self.model()?, m => parameter_list(py, m, false))
    }

    /// `[(name, tensor), ...]` for every parameter.
    fn named_parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        dispatch!(self.model()?, m => parameter_list(py, m, true))
    }

    /// Writes the parameters to a safetensors file (what `ferrograd eval --model` reads).
    fn save(&self, path: std::path::PathBuf) -> PyResult<()> {
        dispatch!(self.model()?, m => save(m, &path)).map_err(checkpoint_error)
    }

    /// Reads the parameters from a safetensors file of the same sizes and dtype, in place; a
    /// file that records another activation is refused.
    fn load(&self, path: std::path::PathBuf) -> PyResult<()> {
        dispatch!(self.model()?, m => load(m, &path)).map_err(|error| match error {
            CheckpointError::WrongActivation { .. } => PyValueError::new_err(format!(
                "MLP.load: {error}; MLP.from_file(path) builds the network it records"
            )),
            error => checkpoint_error(error),
        })
    }
}

/// Class indices from an array-like of non-negative integers.
fn labels(obj: &Bound<'_, PyAny>) -> PyResult<Vec<usize>> {
    let py = obj.py();
    let array = numpy(py)?.getattr("asarray")?.call1((obj,))?;
    let kind: String = array.getattr("dtype")?.getattr("kind")?.extract()?;
    if !matches!(kind.as_str(), "i" | "u") {
        return Err(PyTypeError::new_err(format!(
            "cross_entropy: labels must be integers, got dtype {}",
            array.getattr("dtype")?.str()?
        )));
    }
    let array = array
        .call_method1("astype", ("int64",))?
        .cast_into::<PyArrayDyn<i64>>()?;
    if array.ndim() != 1 {
        return Err(PyValueError::new_err(format!(
            "cross_entropy: labels must be 1-d, got shape {:?}",
            array.shape()
        )));
    }
    array
        .to_owned_array()
        .iter()
        .map(|&l| {
            usize::try_from(l)
                .map_err(|_| PyValueError::new_err(format!("cross_entropy: label {l} is negative")))
        })
        .collect()
}

/// The mean over the batch of `-log softmax(logits)[i, labels[i]]`, for `logits` of shape
/// `(batch, classes)` and integer `labels` of shape `(batch,)`.
#[pyfunction]
fn cross_entropy(logits: &Bound<'_, PyTensor>, labels: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    let labels = self::labels(labels)?;
    let logits = logits.get().inner()?;
    guarded("cross_entropy", || {
        let loss = dispatch!(logits, <T> t => {
            T::wrap(try_cross_entropy(t, &labels).map_err(value_error)?)
        });
        Ok(PyTensor::new(loss))
    })
}

/// The mean squared error `mean((pred - target)²)`; shapes must be equal.
#[pyfunction]
fn mse(pred: &Bound<'_, PyTensor>, target: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    let pred = pred.get().inner()?;
    fn run<T: Float>(pred: &Tensor<T>, target: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        let target = operand::<T>(target, "mse")?;
        guarded("mse", || {
            Ok(PyTensor::new(T::wrap(
                try_mse(pred, &target).map_err(value_error)?,
            )))
        })
    }
    dispatch!(pred, t => run(t, target))
}

/// Registers `Linear`, `MLP`, `cross_entropy` and `mse` (re-exported by `ferrograd.nn`).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyLinear>()?;
    m.add_class::<PyMlp>()?;
    m.add_function(wrap_pyfunction!(cross_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(mse, m)?)?;
    Ok(())
}

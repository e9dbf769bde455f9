//! `ferrograd.optim`: the library's `Sgd` and `Adam` over Python tensors.

use ferrograd::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use ferrograd::{Element, Tensor};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::errors::{guarded, value_error};
use crate::tensor::{Float, Inner, PyTensor};
use crate::thread_bound::ThreadBound;

/// The parameters, which must all be Tensors of one dtype.
enum Params {
    F64(Vec<Tensor<f64>>),
    F32(Vec<Tensor<f32>>),
}

fn params(objects: &Bound<'_, PyAny>, what: &str) -> PyResult<Params> {
    let mut tensors = Vec::new();
    for object in objects.try_iter()? {
        let object = object?;
        let tensor = object.cast::<PyTensor>().map_err(|_| {
            PyTypeError::new_err(format!(
                "{what}: parameters must be ferrograd Tensors, got {}",
                crate::convert::type_name(&object)
            ))
        })?;
        tensors.push(tensor.get().inner()?.clone());
    }
    fn all<T: Float>(tensors: &[Inner], what: &str) -> PyResult<Vec<Tensor<T>>> {
        tensors
            .iter()
            .map(|t| {
                T::unwrap(t).cloned().ok_or_else(|| {
                    PyTypeError::new_err(format!(
                        "{what}: parameters must all have one dtype, got {} and {}",
                        T::DTYPE,
                        t.dtype()
                    ))
                })
            })
            .collect()
    }
    match tensors.first() {
        Some(Inner::F32(_)) => Ok(Params::F32(all(&tensors, what)?)),
        _ => Ok(Params::F64(all(&tensors, what)?)),
    }
}

/// The library's SGD over `params`, its settings rounded to `T`; `ValueError` with the library's
/// message for a setting out of range.
fn sgd<T: Element>(
    params: Vec<Tensor<T>>,
    lr: f64,
    momentum: f64,
    weight_decay: f64,
) -> PyResult<Sgd<T>> {
    let config = SgdConfig {
        lr: T::from_f64(lr),
        momentum: T::from_f64(momentum),
        weight_decay: T::from_f64(weight_decay),
    };
    Sgd::try_new(params, config).map_err(value_error)
}

/// The library's Adam over `params`, as [`sgd`].
fn adam<T: Element>(
    params: Vec<Tensor<T>>,
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
) -> PyResult<Adam<T>> {
    let config = AdamConfig {
        lr: T::from_f64(lr),
        betas: (T::from_f64(betas.0), T::from_f64(betas.1)),
        eps: T::from_f64(eps),
        weight_decay: T::from_f64(weight_decay),
    };
    Adam::try_new(params, config).map_err(value_error)
}

/// An optimizer of either element type.
enum Either<A, B> {
    F64(A),
    F32(B),
}

/// Stochastic gradient descent, as `torch.optim.SGD`: `p -= lr * (g + weight_decay * p)`, with
/// momentum when `momentum > 0`. Updates the tensors' data in place.
#[pyclass(name = "SGD", module = "ferrograd.optim", frozen)]
pub struct PySgd {
    sgd: ThreadBound<std::cell::RefCell<Either<Sgd<f64>, Sgd<f32>>>>,
}

#[pymethods]
impl PySgd {
    #[new]
    #[pyo3(signature = (params, lr, momentum = 0.0, weight_decay = 0.0))]
    fn new(params: &Bound<'_, PyAny>, lr: f64, momentum: f64, weight_decay: f64) -> PyResult<Self> {
        let sgd = match self::params(params, "SGD")? {
            Params::F64(p) => Either::F64(sgd(p, lr, momentum, weight_decay)?),
            Params::F32(p) => Either::F32(sgd(p, lr, momentum, weight_decay)?),
        };
        Ok(PySgd {
            sgd: ThreadBound::new(std::cell::RefCell::new(sgd)),
        })
    }

    /// Updates every parameter that has a gradient.
    fn step(&self) -> PyResult<()> {
        let mut sgd = self.sgd.get("SGD")?.borrow_mut();
        guarded("SGD.step", || {
            match &mut *sgd {
                Either::F64(s) => s.step(),
                Either::F32(s) => s.step(),
            }
            Ok(())
        })
    }

    /// Sets every parameter's gradient to zero.
    fn zero_grad(&self) -> PyResult<()> {
        match &*self.sgd.get("SGD")?.borrow() {
            Either::F64(s) => s.zero_grad(),
            Either::F32(s) => s.zero_grad(),
        }
        Ok(())
    }
}

/// Adam, as `torch.optim.Adam` (without AMSGrad).
#[pyclass(name = "Adam", module = "ferrograd.optim", frozen)]
pub struct PyAdam {
    adam: ThreadBound<std::cell::RefCell<Either<Adam<f64>, Adam<f32>>>>,
}

#[pymethods]
impl PyAdam {
    #[new]
    #[pyo3(signature = (params, lr = 0.001, betas = (0.9, 0.999), eps = 1e-8, weight_decay = 0.0))]
    fn new(
        params: &Bound<'_, PyAny>,
        lr: f64,
        betas: (f64, f64),
        eps: f64,
        weight_decay: f64,
    ) -> PyResult<Self> {
        let adam = match self::params(params, "Adam")? {
            Params::F64(p) => Either::F64(adam(p, lr, betas, eps, weight_decay)?),
            Params::F32(p) => Either::F32(adam(p, lr, betas, eps, weight_decay)?),
        };
        Ok(PyAdam {
            adam: ThreadBound::new(std::cell::RefCell::new(adam)),
        })
    }

    /// Updates every parameter that has a gradient.
    fn step(&self) -> PyResult<()> {
        let mut adam = self.adam.get("Adam")?.borrow_mut();
        guarded("Adam.step", || {
            match &mut *adam {
                Either::F64(a) => a.step(),
                Either::F32(a) => a.step(),
            }
            Ok(())
        })
    }

    /// Sets every parameter's gradient to zero.
    fn zero_grad(&self) -> PyResult<()> {
        match &*self.adam.get("Adam")?.borrow() {
            Either::F64(a) => a.zero_grad(),
            Either::F32(a) => a.zero_grad(),
        }
        Ok(())
    }
}

/// Registers `SGD` and `Adam` (re-exported by `ferrograd.optim`).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySgd>()?;
    m.add_class::<PyAdam>()?;
    Ok(())
}

//! `ferrograd.optim`: the library's `Sgd` and `Adam` over Python tensors.

use std::cell::RefCell;

use ferrograd::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use ferrograd::{Element, Tensor};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::convert::type_name;
use crate::dtype::{AnyTensor, Dtype, Float, dispatch};
use crate::errors::{guarded, value_error};
use crate::tensor::PyTensor;
use crate::thread_bound::ThreadBound;

/// The parameters: Tensors, all of one dtype (the first one's; float64 when there are none).
fn params(objects: &Bound<'_, PyAny>, what: &str) -> PyResult<(Dtype, Vec<AnyTensor>)> {
    let mut tensors = Vec::new();
    for object in objects.try_iter()? {
        let object = object?;
        let tensor = object.cast::<PyTensor>().map_err(|_| {
            PyTypeError::new_err(format!(
                "{what}: parameters must be ferrograd Tensors, got {}",
                type_name(&object)
            ))
        })?;
        tensors.push(tensor.get().inner()?.clone());
    }
    let dtype = tensors.first().map_or(Dtype::DEFAULT, AnyTensor::dtype);
    Ok((dtype, tensors))
}

/// The parameters as tensors of type `T`; a `TypeError` for one of the other type.
fn typed<T: Float>(tensors: &[AnyTensor], what: &str) -> PyResult<Vec<Tensor<T>>> {
    tensors
        .iter()
        .map(|t| {
            T::unwrap(t).cloned().ok_or_else(|| {
                PyTypeError::new_err(format!(
                    "{what}: parameters must all have one dtype, got {} and {}",
                    T::NAME,
                    t.name()
                ))
            })
        })
        .collect()
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

/// A library optimizer of either element type (its dtype is its own business), on the thread
/// that made it; `what` names its Python class in messages.
struct Stepper {
    optimizer: ThreadBound<RefCell<Box<dyn Optimizer>>>,
    what: &'static str,
    /// `what.step`, made once rather than at every step.
    step_name: String,
}

impl Stepper {
    fn new(optimizer: Box<dyn Optimizer>, what: &'static str) -> Self {
        Stepper {
            optimizer: ThreadBound::new(RefCell::new(optimizer)),
            what,
            step_name: format!("{what}.step"),
        }
    }

    fn step(&self) -> PyResult<()> {
        let mut optimizer = self.optimizer.get(self.what)?.borrow_mut();
        guarded(&self.step_name, || {
            optimizer.step();
            Ok(())
        })
    }

    fn zero_grad(&self) -> PyResult<()> {
        self.optimizer.get(self.what)?.borrow().zero_grad();
        Ok(())
    }
}

/// Stochastic gradient descent, as `torch.optim.SGD`: `p -= lr * (g + weight_decay * p)`, with
/// momentum when `momentum > 0`. Updates the tensors' data in place.
#[pyclass(name = "SGD", module = "ferrograd.optim", frozen)]
pub struct PySgd {
    sgd: Stepper,
}

#[pymethods]
impl PySgd {
    #[new]
    #[pyo3(signature = (params, lr, momentum = 0.0, weight_decay = 0.0))]
    fn new(params: &Bound<'_, PyAny>, lr: f64, momentum: f64, weight_decay: f64) -> PyResult<Self> {
        const WHAT: &str = "SGD";
        let (dtype, params) = self::params(params, WHAT)?;
        let sgd: Box<dyn Optimizer> = dispatch!(dtype, <T> () => {
            Box::new(sgd(typed::<T>(&params, WHAT)?, lr, momentum, weight_decay)?)
        });
        Ok(PySgd {
            sgd: Stepper::new(sgd, WHAT),
        })
    }

    /// Updates every parameter that has a gradient.
    fn step(&self) -> PyResult<()> {
        self.sgd.step()
    }

    /// Sets every parameter's gradient to zero.
    fn zero_grad(&self) -> PyResult<()> {
        self.sgd.zero_grad()
    }
}

/// Adam, as `torch.optim.Adam` (without AMSGrad).
#[pyclass(name = "Adam", module = "ferrograd.optim", frozen)]
pub struct PyAdam {
    adam: Stepper,
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
        const WHAT: &str = "Adam";
        let (dtype, params) = self::params(params, WHAT)?;
        let adam: Box<dyn Optimizer> = dispatch!(dtype, <T> () => {
            Box::new(adam(typed::<T>(&params, WHAT)?, lr, betas, eps, weight_decay)?)
        });
        Ok(PyAdam {
            adam: Stepper::new(adam, WHAT),
        })
    }

    /// Updates every parameter that has a gradient.
    fn step(&self) -> PyResult<()> {
        self.adam.step()
    }

    /// Sets every parameter's gradient to zero.
    fn zero_grad(&self) -> PyResult<()> {
        self.adam.zero_grad()
    }
}

/// Registers `SGD` and `Adam` (re-exported by `ferrograd.optim`).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySgd>()?;
    m.add_class::<PyAdam>()?;
    Ok(())
}

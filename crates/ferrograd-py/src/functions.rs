//! The original module's functions (`ensure_tensor`, `add`, ..., `broadcast_grad_accumulate`) and
//! the extras on the library's operations (`tanh`, `softmax`, `mean`, ...).

use ferrograd::Element;
use ndarray::ArrayD;
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::convert::{numpy, shape_of, to_array, type_name};
use crate::dtype::{AnyTensor, Dtype};
use crate::errors::{guarded, value_error};
use crate::tensor::{Binary, PyTensor, leaf};

/// `x` as a Tensor: `x` itself when it is one (or any object with a `.grad`, as the original's
/// duck typing has it), else `Tensor(x)` (float64, not requiring grad).
#[pyfunction]
pub fn ensure_tensor<'py>(x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if x.cast::<PyTensor>().is_ok() || x.hasattr("grad")? {
        return Ok(x.clone());
    }
    Ok(Bound::new(x.py(), PyTensor::new(leaf(x, false, Dtype::DEFAULT)?))?.into_any())
}

/// `a` as a ferrograd Tensor object, converting array-likes.
fn tensor<'py>(a: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyTensor>> {
    let t = ensure_tensor(a)?;
    t.cast_into::<PyTensor>().map_err(|e| {
        PyTypeError::new_err(format!(
            "{what}: expected a ferrograd.Tensor or an array-like, got {}",
            type_name(&e.into_inner())
        ))
    })
}

/// `a + b` with broadcasting (`<AddBackward>`).
#[pyfunction]
fn add(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    Binary::Add.call(tensor(a, "add")?.as_any(), tensor(b, "add")?.as_any())
}

/// `a - b` with broadcasting (`<SubBackward>`).
#[pyfunction]
fn sub(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    Binary::Sub.call(tensor(a, "sub")?.as_any(), tensor(b, "sub")?.as_any())
}

/// `a * b` with broadcasting (`<MulBackward>`).
#[pyfunction]
fn mul(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    Binary::Mul.call(tensor(a, "mul")?.as_any(), tensor(b, "mul")?.as_any())
}

/// `a / b` with broadcasting (`<DivBackward>`).
#[pyfunction]
fn div(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    Binary::Div.call(tensor(a, "div")?.as_any(), tensor(b, "div")?.as_any())
}

/// The matrix product of a `(p, q)` and a `(q, r)` tensor (`<MatmulBackward>`).
#[pyfunction]
fn matmul(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    Binary::Matmul.call(tensor(a, "matmul")?.as_any(), tensor(b, "matmul")?.as_any())
}

/// Defines `name(a)` as the method `a.name()`.
macro_rules! unary_function {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[pyfunction]
        fn $name<'py>(a: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
            tensor(a, stringify!($name))?.call_method0(stringify!($name))
        }
    };
}

unary_function!(
    /// The natural logarithm, element-wise (`<LogBackward>`).
    log
);
unary_function!(
    /// `e^x`, element-wise (`<ExpBackward>`).
    exp
);
unary_function!(
    /// The hyperbolic tangent, element-wise (`<TanhBackward>`).
    tanh
);
unary_function!(
    /// `max(x, 0)`, element-wise (`<ReluBackward>`).
    relu
);
unary_function!(
    /// `1 / (1 + e^-x)`, element-wise (`<SigmoidBackward>`).
    sigmoid
);

/// Defines `name(a, axis=None, keepdims=False)` as the method `a.name(axis, keepdims)`.
macro_rules! reduction_function {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[pyfunction]
        #[pyo3(signature = (a, axis = None, keepdims = false))]
        fn $name<'py>(
            a: &Bound<'py, PyAny>,
            axis: Option<isize>,
            keepdims: bool,
        ) -> PyResult<Bound<'py, PyAny>> {
            tensor(a, stringify!($name))?.call_method1(stringify!($name), (axis, keepdims))
        }
    };
}

reduction_function!(
    /// The sum over `axis` (`<SumBackward>`).
    sum
);
reduction_function!(
    /// The maximum over `axis` (`<MaxBackward>`).
    max
);
reduction_function!(
    /// The mean over `axis` (`<MeanBackward>`).
    mean
);

/// `softmax(a, axis=-1)` (`<SoftmaxBackward>`).
#[pyfunction]
#[pyo3(signature = (a, axis = -1))]
fn softmax<'py>(a: &Bound<'py, PyAny>, axis: isize) -> PyResult<Bound<'py, PyAny>> {
    tensor(a, "softmax")?.call_method1("softmax", (axis,))
}

/// `log_softmax(a, axis=-1)` (`<LogSoftmaxBackward>`).
#[pyfunction]
#[pyo3(signature = (a, axis = -1))]
fn log_softmax<'py>(a: &Bound<'py, PyAny>, axis: isize) -> PyResult<Bound<'py, PyAny>> {
    tensor(a, "log_softmax")?.call_method1("log_softmax", (axis,))
}

/// `grad` summed over the axes along which an operand of `x`'s shape was broadcast (leading axes
/// it lacked summed away, axes where it has size 1 summed with keepdims), as an ndarray of
/// `grad`'s own dtype as NumPy's `sum` gives it: the original's helper. `x` is anything with a
/// `.shape`.
#[pyfunction]
fn broadcast_grad_accumulate<'py>(
    x: &Bound<'py, PyAny>,
    grad: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    const WHAT: &str = "broadcast_grad_accumulate";
    let py = x.py();
    let shape = shape_of(x, WHAT)?;
    let grad = numpy(py)?.getattr("asarray")?.call1((grad,))?;
    let grad_array = grad.cast::<PyUntypedArray>()?;
    if grad_array.shape() == shape.as_slice() {
        return Ok(grad);
    }
    let check = ferrograd::broadcast_shape(&shape, grad_array.shape());
    if check.as_deref() != Some(grad_array.shape()) {
        return Err(value_error(ferrograd::TensorError::GradShape {
            op: WHAT,
            grad: grad_array.shape().to_vec(),
            shape,
        }));
    }
    if let Ok(g) = grad.cast::<PyArrayDyn<f32>>() {
        let summed = summed(&shape, &g.to_owned_array())?;
        return Ok(PyArrayDyn::from_owned_array(py, summed).into_any());
    }
    let values: ArrayD<f64> = to_array(&grad, WHAT)?;
    let summed = PyArrayDyn::from_owned_array(py, summed(&shape, &values)?).into_any();
    if grad.cast::<PyArrayDyn<f64>>().is_ok() {
        return Ok(summed);
    }
    // Any other dtype: the one NumPy's sum gives (int64 for small ints and bools, ...).
    let dtype = numpy(py)?
        .getattr("zeros")?
        .call1((0, grad_array.dtype()))?
        .call_method0("sum")?
        .getattr("dtype")?;
    summed.call_method1("astype", (dtype,))
}

/// The library's `broadcast_grad_accumulate`, after the shapes were checked.
fn summed<T: Element>(shape: &[usize], grad: &ArrayD<T>) -> PyResult<ArrayD<T>> {
    guarded("broadcast_grad_accumulate", || {
        Ok(ferrograd::broadcast_grad_accumulate(shape, grad))
    })
}

/// How many tensors are alive on this thread (a training loop returns to the same count after
/// every step: memory is not leaking).
#[pyfunction]
fn live_tensors() -> usize {
    ferrograd::live_tensors()
}

/// Sets the number of threads matrix products and large updates are split over.
#[pyfunction]
fn set_num_threads(threads: usize) {
    ferrograd::set_num_threads(threads);
}

/// The number of threads matrix products and large updates are split over.
#[pyfunction]
fn num_threads() -> usize {
    ferrograd::num_threads()
}

/// Registers the functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ensure_tensor, m)?)?;
    m.add_function(wrap_pyfunction!(add, m)?)?;
    m.add_function(wrap_pyfunction!(sub, m)?)?;
    m.add_function(wrap_pyfunction!(mul, m)?)?;
    m.add_function(wrap_pyfunction!(div, m)?)?;
    m.add_function(wrap_pyfunction!(matmul, m)?)?;
    m.add_function(wrap_pyfunction!(log, m)?)?;
    m.add_function(wrap_pyfunction!(exp, m)?)?;
    m.add_function(wrap_pyfunction!(sum, m)?)?;
    m.add_function(wrap_pyfunction!(max, m)?)?;
    m.add_function(wrap_pyfunction!(broadcast_grad_accumulate, m)?)?;
    m.add_function(wrap_pyfunction!(tanh, m)?)?;
    m.add_function(wrap_pyfunction!(relu, m)?)?;
    m.add_function(wrap_pyfunction!(sigmoid, m)?)?;
    m.add_function(wrap_pyfunction!(softmax, m)?)?;
    m.add_function(wrap_pyfunction!(log_softmax, m)?)?;
    m.add_function(wrap_pyfunction!(mean, m)?)?;
    m.add_function(wrap_pyfunction!(live_tensors, m)?)?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(gradcheck, m)?)?;
    m.add_class::<PyGradcheckReport>()?;
    Ok(())
}

/// What a gradient check run from Python can fail with: the Python function's exception, or the
/// library's error.
enum CheckError {
    Python(PyErr),
    Tensor(ferrograd::TensorError),
}

impl From<ferrograd::TensorError> for CheckError {
    fn from(error: ferrograd::TensorError) -> Self {
        CheckError::Tensor(error)
    }
}

impl From<PyErr> for CheckError {
    fn from(error: PyErr) -> Self {
        CheckError::Python(error)
    }
}

/// How far each input's analytic gradient is from central finite differences.
#[pyclass(name = "GradcheckReport", module = "ferrograd", frozen)]
pub struct PyGradcheckReport {
    report: ferrograd::GradcheckReport,
}

#[pymethods]
impl PyGradcheckReport {
    /// Per input, the largest `|analytic - numeric| / max(1, |analytic|, |numeric|)`.
    #[getter]
    fn errors(&self) -> Vec<f64> {
        self.report.errors.clone()
    }

    /// The worst error over all inputs.
    #[getter]
    fn max_error(&self) -> f64 {
        self.report.max_error()
    }

    /// Whether every input's error is below `tolerance`.
    #[pyo3(signature = (tolerance = 1e-6))]
    fn passed(&self, tolerance: f64) -> bool {
        self.report.passed(tolerance)
    }

    fn __repr__(&self) -> String {
        format!("GradcheckReport(errors={:?})", self.report.errors)
    }
}

/// Compares the gradients backward computes for `f(*tensors)` (a function of float64 Tensors
/// returning a Tensor) at `inputs` (array-likes) with central finite differences
/// `(f(x + eps) - f(x - eps)) / 2eps`, element by element; the output is weighted by a fixed random
/// upstream gradient. Returns a `GradcheckReport`; `report.passed(1e-6)` for the usual check.
#[pyfunction]
#[pyo3(signature = (f, inputs, eps = 1e-6))]
fn gradcheck(
    py: Python<'_>,
    f: &Bound<'_, PyAny>,
    inputs: &Bound<'_, PyAny>,
    eps: f64,
) -> PyResult<PyGradcheckReport> {
    let arrays = inputs
        .try_iter()?
        .map(|x| to_array::<f64>(&x?, "gradcheck"))
        .collect::<PyResult<Vec<_>>>()?;
    let call = |tensors: &[ferrograd::Tensor<f64>]| -> Result<ferrograd::Tensor<f64>, CheckError> {
        let args = tensors
            .iter()
            .map(|t| Bound::new(py, PyTensor::new(AnyTensor::F64(t.clone()))))
            .collect::<PyResult<Vec<_>>>()?;
        let out = f.call1(pyo3::types::PyTuple::new(py, args)?)?;
        let out = out.cast::<PyTensor>().map_err(|_| {
            PyTypeError::new_err(format!(
                "gradcheck: f must return a ferrograd.Tensor, got {}",
                type_name(&out)
            ))
        })?;
        Ok(out.get().typed::<f64>("gradcheck")?.clone())
    };
    match ferrograd::try_gradcheck(call, &arrays, eps) {
        Ok(report) => Ok(PyGradcheckReport { report }),
        Err(CheckError::Python(error)) => Err(error),
        Err(CheckError::Tensor(error)) => Err(value_error(error)),
    }
}

//! The `Tensor` class: the original assignment's API over a `ferrograd::Tensor<f64>` (or `f32`
//! with `dtype="float32"`).

use ferrograd::{Element, Tensor, TensorError};
use ndarray::ArrayD;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert::{self, as_number, numpy, parse_dtype, to_array};
use crate::dtype::{AnyTensor, Dtype, Float, dispatch};
use crate::errors::{guarded, tensor_error};
use crate::share::{is_view_of, lend};
use crate::thread_bound::ThreadBound;

/// A tensor: an n-d array of float64 (or float32) that records the operations that made it, so
/// that `backward()` can compute gradients.
///
/// `Tensor(array, requires_grad=False, dtype=None)`: `array` is anything `numpy.array` accepts
/// (numbers, nested lists, arrays of any numeric dtype); it is copied and stored as float64, or
/// float32 with `dtype="float32"`.
#[pyclass(name = "Tensor", module = "ferrograd", frozen, weakref)]
pub struct PyTensor {
    tensor: ThreadBound<AnyTensor>,
}

impl PyTensor {
    /// A Python tensor around a library tensor.
    pub fn new(inner: AnyTensor) -> Self {
        PyTensor {
            tensor: ThreadBound::new(inner),
        }
    }

    /// The library tensor, on the thread that owns it.
    #[inline]
    pub fn inner(&self) -> PyResult<&AnyTensor> {
        self.tensor.get("Tensor")
    }

    /// The library tensor of type `T`; a `TypeError` naming `what` for the other type.
    pub fn typed<T: Float>(&self, what: &str) -> PyResult<&Tensor<T>> {
        let inner = self.inner()?;
        T::unwrap(inner).ok_or_else(|| dtype_mismatch(what, T::NAME, inner.name()))
    }
}

/// Two operands of different element types.
fn dtype_mismatch(what: &str, expected: &str, found: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "{what}: cannot combine a {expected} tensor with a {found} tensor; make both with the \
         same dtype"
    ))
}

/// `obj` as a library tensor of type `T`: a Tensor of that type as it is (sharing its node), a
/// number as a 0-d constant, anything else converted to an array as `Tensor(obj)` would.
pub fn operand<T: Float>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Tensor<T>> {
    if let Ok(tensor) = obj.cast::<PyTensor>() {
        return tensor.get().typed::<T>(what).cloned();
    }
    if let Some(value) = as_number(obj) {
        return Ok(Tensor::scalar(T::from_f64(value)));
    }
    Ok(Tensor::from_array(to_array::<T>(obj, what)?))
}

/// A new leaf tensor from any array-like, of the requested type.
pub fn leaf(obj: &Bound<'_, PyAny>, requires_grad: bool, dtype: Dtype) -> PyResult<AnyTensor> {
    dispatch!(dtype, <T> () => {
        let tensor = match obj.cast::<PyTensor>() {
            Ok(t) => dispatch!(t.get().inner()?, t => {
                Tensor::from_array(t.data().mapv(|x| T::from_f64(x.to_f64())))
            }),
            Err(_) => Tensor::from_array(to_array::<T>(obj, "Tensor")?),
        };
        Ok(T::wrap(if requires_grad {
            tensor.requires_grad()
        } else {
            tensor
        }))
    })
}

/// The binary operations of the original (`matmul` included), applied by the library.
#[derive(Clone, Copy)]
pub enum Binary {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b`.
    Div,
    /// `a @ b`.
    Matmul,
}

impl Binary {
    fn apply<T: Element>(self, a: &Tensor<T>, b: &Tensor<T>) -> Result<Tensor<T>, TensorError> {
        match self {
            Binary::Add => a.try_add(b),
            Binary::Sub => a.try_sub(b),
            Binary::Mul => a.try_mul(b),
            Binary::Div => a.try_div(b),
            Binary::Matmul => a.try_matmul(b),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
            Binary::Matmul => "matmul",
        }
    }

    /// `op(lhs, rhs)` where at least one side is a ferrograd Tensor; the other is converted to
    /// its dtype. Two non-tensors make float64 tensors.
    pub fn call(self, lhs: &Bound<'_, PyAny>, rhs: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        let dtype = [lhs, rhs]
            .into_iter()
            .find_map(|x| x.cast::<PyTensor>().ok())
            .map(|t| t.get().inner().map(AnyTensor::dtype))
            .transpose()?
            .unwrap_or(Dtype::DEFAULT);
        let name = self.name();
        dispatch!(dtype, <T> () => {
            let (a, b) = (operand::<T>(lhs, name)?, operand::<T>(rhs, name)?);
            let out = guarded(name, || self.apply(&a, &b).map_err(tensor_error))?;
            Ok(PyTensor::new(T::wrap(out)))
        })
    }
}

#[pymethods]
impl PyTensor {
    #[new]
    #[pyo3(signature = (array, requires_grad = None, dtype = None))]
    fn py_new(
        array: &Bound<'_, PyAny>,
        requires_grad: Option<&Bound<'_, PyAny>>,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let dtype = parse_dtype(dtype)?;
        let requires_grad = match requires_grad {
            Some(flag) => flag.is_truthy()?,
            None => false,
        };
        Ok(PyTensor::new(leaf(array, requires_grad, dtype)?))
    }

    /// The data as a NumPy array. Assign to replace it (any array-like; it is copied and
    /// converted to the tensor's dtype); in-place NumPy updates such as
    /// `param.array -= lr * param.grad` update the tensor.
    ///
    /// The array is a view of the tensor's buffer, not a copy; it stays valid whatever later
    /// happens to the tensor (after the tensor's data is replaced, it keeps the old values).
    #[getter]
    fn array<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        dispatch!(self.inner()?, t => lend(py, t.shared_data()))
    }

    #[setter]
    fn set_array(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        fn set<T: Float>(t: &Tensor<T>, value: &Bound<'_, PyAny>) -> PyResult<()> {
            if is_view_of(value, &t.data()) {
                return Ok(()); // `t.array -= x` wrote in place, then assigns the view back
            }
            let array = to_array::<T>(value, "Tensor.array")?;
            let reshaped = array.shape() != t.data().shape();
            *t.data_mut() = array.into_shared();
            if reshaped && t.needs_grad() {
                // A gradient of the old shape does not fit the new data.
                t.set_grad(None).map_err(tensor_error)?;
            }
            Ok(())
        }
        dispatch!(self.inner()?, t => set(t, value))
    }

    /// The accumulated gradient as a NumPy array of the data's shape: zeros before any
    /// backward pass when the tensor requires grad, `None` when it does not.
    /// Like `.array`, a view of the gradient's buffer.
    #[getter]
    fn grad<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        fn get<'py, T: Float>(
            py: Python<'py>,
            t: &Tensor<T>,
        ) -> PyResult<Option<Bound<'py, PyAny>>> {
            if !t.needs_grad() {
                return Ok(None);
            }
            let grad = match t.shared_grad() {
                Some(grad) => grad,
                None => {
                    let zeros = ArrayD::zeros(t.data().raw_dim()).into_shared();
                    t.set_grad(Some(zeros.to_owned())).map_err(tensor_error)?;
                    t.shared_grad().unwrap_or(zeros)
                }
            };
            lend(py, grad).map(Some)
        }
        dispatch!(self.inner()?, t => get(py, t))
    }

    #[setter]
    fn set_grad(&self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        fn set<T: Float>(t: &Tensor<T>, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
            let value = value.filter(|v| !v.is_none());
            if value.is_some() && !t.needs_grad() {
                return Err(PyValueError::new_err(
                    "Tensor.grad: this tensor does not require grad; make it with \
                     requires_grad=True",
                ));
            }
            if let (Some(value), Some(grad)) = (value, t.shared_grad())
                && is_view_of(value, &grad)
            {
                return Ok(()); // `t.grad += x` wrote in place, then assigns the view back
            }
            let grad = value.map(|v| to_array::<T>(v, "Tensor.grad")).transpose()?;
            t.set_grad(grad).map_err(tensor_error)
        }
        dispatch!(self.inner()?, t => set(t, value))
    }

    /// Whether gradients flow to this tensor: a leaf made with `requires_grad=True`, or the
    /// result of an operation on one.
    #[getter]
    fn requires_grad(&self) -> PyResult<bool> {
        Ok(dispatch!(self.inner()?, t => t.needs_grad()))
    }

    /// The shape, as a tuple.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let shape = dispatch!(self.inner()?, t => t.shape());
        PyTuple::new(py, shape)
    }

    /// The number of axes.
    #[getter]
    fn ndim(&self) -> PyResult<usize> {
        Ok(dispatch!(self.inner()?, t => t.ndim()))
    }

    /// The element type, as a NumPy dtype (float64 or float32).
    #[getter]
    fn dtype<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        numpy(py)?.getattr("dtype")?.call1((self.inner()?.name(),))
    }

    /// The tensors this one was computed from: a tuple, empty for a leaf.
    #[getter]
    fn parents<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let parents: Vec<AnyTensor> = dispatch!(self.inner()?, <T> t => {
            t.parents().into_iter().map(T::wrap).collect()
        });
        let objects = parents
            .into_iter()
            .map(|p| Bound::new(py, PyTensor::new(p)))
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, objects)
    }

    /// The name of the operation that made this tensor, e.g. `'<AddBackward>'`; `None` for a
    /// leaf or a result that needs no gradient.
    #[getter]
    fn grad_fn_name(&self) -> PyResult<Option<&'static str>> {
        Ok(dispatch!(self.inner()?, t => t.grad_fn_name()))
    }

    /// Sets the gradient to zeros.
    fn zero_grad(&self) -> PyResult<()> {
        dispatch!(self.inner()?, t => t.zero_grad());
        Ok(())
    }

    /// Computes the gradient of this tensor with respect to everything it was computed from,
    /// seeding it with ones of its shape, and adds it into each `.grad`.
    /// Every tensor that requires grad, intermediate results included, keeps its gradient, as
    /// in the original.
    fn backward(&self) -> PyResult<()> {
        dispatch!(self.inner()?, t => guarded("backward", || {
            t.try_backward_retaining_grads().map_err(tensor_error)
        }))
    }

    /// The backward step of the operation that made this tensor: `out.grad_fn(upstream)` adds
    /// each parent's share of `upstream` (an array of `out`'s shape, any numeric dtype) into that
    /// parent's `.grad`, summed back over broadcast axes. `None` for a leaf or a tensor that
    /// needs no grad.
    #[getter]
    fn grad_fn(&self) -> PyResult<Option<GradFn>> {
        let inner = self.inner()?;
        let recorded = dispatch!(inner, t => t.grad_fn_name().is_some());
        Ok(recorded.then(|| GradFn {
            tensor: ThreadBound::new(inner.clone()),
        }))
    }

    /// The natural logarithm, element-wise.
    fn log(&self) -> PyResult<PyTensor> {
        self.unary(|t| dispatch!(t, <T> t => T::wrap(t.log())))
    }

    /// `e^x`, element-wise.
    fn exp(&self) -> PyResult<PyTensor> {
        self.unary(|t| dispatch!(t, <T> t => T::wrap(t.exp())))
    }

    /// The hyperbolic tangent, element-wise (one operation, `<TanhBackward>`).
    fn tanh(&self) -> PyResult<PyTensor> {
        self.unary(|t| dispatch!(t, <T> t => T::wrap(t.tanh())))
    }

    /// `max(x, 0)`, element-wise.
    fn relu(&self) -> PyResult<PyTensor> {
        self.unary(|t| dispatch!(t, <T> t => T::wrap(t.relu())))
    }

    /// `1 / (1 + e^-x)`, element-wise.
    fn sigmoid(&self) -> PyResult<PyTensor> {
        self.unary(|t| dispatch!(t, <T> t => T::wrap(t.sigmoid())))
    }

    /// `exp(x) / sum(exp(x))` along `axis`, computed stably.
    #[pyo3(signature = (axis = -1))]
    fn softmax(&self, axis: isize) -> PyResult<PyTensor> {
        self.fallible("softmax", |t| {
            Ok(dispatch!(t, <T> t => T::wrap(t.try_softmax(axis)?)))
        })
    }

    /// `log(softmax(x))` along `axis`, computed stably.
    #[pyo3(signature = (axis = -1))]
    fn log_softmax(&self, axis: isize) -> PyResult<PyTensor> {
        self.fallible("log_softmax", |t| {
            Ok(dispatch!(t, <T> t => T::wrap(t.try_log_softmax(axis)?)))
        })
    }

    /// The sum over `axis` (every axis when `None`; negative counts from the end).
    #[pyo3(signature = (axis = None, keepdims = false))]
    fn sum(&self, axis: Option<isize>, keepdims: bool) -> PyResult<PyTensor> {
        self.fallible("sum", |t| {
            Ok(dispatch!(t, <T> t => T::wrap(t.try_sum(axis, keepdims)?)))
        })
    }

    /// The maximum over `axis`; its gradient goes to the maximal elements, split between ties.
    #[pyo3(signature = (axis = None, keepdims = false))]
    fn max(&self, axis: Option<isize>, keepdims: bool) -> PyResult<PyTensor> {
        self.fallible("max", |t| {
            Ok(dispatch!(t, <T> t => T::wrap(t.try_max(axis, keepdims)?)))
        })
    }

    /// The mean over `axis`.
    #[pyo3(signature = (axis = None, keepdims = false))]
    fn mean(&self, axis: Option<isize>, keepdims: bool) -> PyResult<PyTensor> {
        self.fallible("mean", |t| {
            Ok(dispatch!(t, <T> t => T::wrap(t.try_mean(axis, keepdims)?)))
        })
    }

    /// The same elements in a new shape: `t.reshape(3, 2)` or `t.reshape((3, 2))`.
    #[pyo3(signature = (*shape))]
    fn reshape(&self, shape: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        let shape: Vec<usize> = match shape.len() {
            1 if shape.get_item(0)?.cast::<PyTuple>().is_ok()
                || shape.get_item(0)?.cast::<pyo3::types::PyList>().is_ok() =>
            {
                shape.get_item(0)?.extract()?
            }
            _ => shape.extract()?,
        };
        self.fallible("reshape", |t| {
            Ok(dispatch!(t, <T> t => T::wrap(t.try_reshape(&shape)?)))
        })
    }

    /// The transpose of a 2-d tensor.
    #[getter(T)]
    fn transposed(&self) -> PyResult<PyTensor> {
        self.fallible("T", |t| {
            Ok(dispatch!(t, <T> t => T::wrap(t.try_transpose()?)))
        })
    }

    /// The same data as a new leaf that does not require grad.
    fn detach(&self) -> PyResult<PyTensor> {
        self.unary(|t| dispatch!(t, <T> t => T::wrap(t.detach())))
    }

    /// The graph that made this tensor in Graphviz's DOT language.
    fn to_dot(&self) -> PyResult<String> {
        Ok(dispatch!(self.inner()?, t => t.to_dot()))
    }

    /// The value of a one-element tensor, as a Python float.
    fn item(&self) -> PyResult<f64> {
        dispatch!(self.inner()?, t => t.try_item().map(Element::to_f64).map_err(tensor_error))
    }

    /// The data for `numpy.asarray(t)` and `numpy.array(t)`.
    #[pyo3(signature = (dtype = None, copy = None))]
    fn __array__<'py>(
        &self,
        py: Python<'py>,
        dtype: Option<&Bound<'py, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let array = self.array(py)?;
        let array = if copy == Some(true) {
            array.call_method0("copy")?
        } else {
            array
        };
        match dtype.filter(|d| !d.is_none()) {
            Some(dtype) => array.call_method1("astype", (dtype,)),
            None => Ok(array),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let inner = self.inner()?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("separator", " ")?;
        kwargs.set_item("precision", 3)?;
        kwargs.set_item("floatmode", "fixed")?;
        kwargs.set_item("max_line_width", 80)?;
        let text: String = numpy(py)?
            .getattr("array2string")?
            .call((self.array(py)?,), Some(&kwargs))?
            .extract()?;
        let indent = " ".repeat("tensor(".len());
        let data = text.replace('\n', &format!("\n{indent}"));
        let (name, needs_grad) = dispatch!(inner, t => (t.grad_fn_name(), t.needs_grad()));
        let info = match name {
            Some(name) if needs_grad => format!(", grad_fn={name}"),
            None if needs_grad => ", requires_grad=True".to_string(),
            _ => String::new(),
        };
        Ok(format!("tensor({data}{info})"))
    }

    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        self.__repr__(py)
    }

    fn __add__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Binary::Add.call(slf.as_any(), other)
    }
    fn __radd__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        // The original: add(ensure_tensor(self), ensure_tensor(other)).
        Binary::Add.call(slf.as_any(), other)
    }
    fn __sub__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Binary::Sub.call(slf.as_any(), other)
    }
    fn __rsub__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Binary::Sub.call(other, slf.as_any())
    }
    fn __mul__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Binary::Mul.call(slf.as_any(), other)
    }
    fn __rmul__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Binary::Mul.call(other, slf.as_any())
    }
    fn __truediv__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Binary::Div.call(slf.as_any(), other)
    }
    fn __rtruediv__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Binary::Div.call(other, slf.as_any())
    }
    fn __matmul__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Binary::Matmul.call(slf.as_any(), other)
    }
    fn __rmatmul__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Binary::Matmul.call(other, slf.as_any())
    }
    /// `-t`, recorded as the original does: `mul(-1.0, t)` (`<MulBackward>`).
    fn __neg__(slf: &Bound<'_, Self>) -> PyResult<PyTensor> {
        let minus_one = (-1.0f64).into_pyobject(slf.py())?;
        Binary::Mul.call(minus_one.as_any(), slf.as_any())
    }
    /// `t ** p` for a number `p` (`<PowBackward>`).
    fn __pow__(
        &self,
        exponent: &Bound<'_, PyAny>,
        modulo: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        if modulo.is_some_and(|m| !m.is_none()) {
            return Err(PyTypeError::new_err("pow: a modulus is not supported"));
        }
        let Some(p) = as_number(exponent) else {
            return Err(PyTypeError::new_err(format!(
                "pow: the exponent must be a number, got {}",
                convert::type_name(exponent)
            )));
        };
        self.unary(|t| dispatch!(t, <T> t => T::wrap(t.powf(Element::from_f64(p)))))
    }

    /// NumPy defers to the Tensor's reflected operators (`ndarray + Tensor` is a Tensor).
    #[classattr]
    fn __array_ufunc__(py: Python<'_>) -> Py<PyAny> {
        py.None()
    }
}

impl PyTensor {
    fn unary(&self, f: impl FnOnce(&AnyTensor) -> AnyTensor) -> PyResult<PyTensor> {
        let inner = self.inner()?;
        guarded("tensor operation", || Ok(PyTensor::new(f(inner))))
    }

    fn fallible(
        &self,
        what: &str,
        f: impl FnOnce(&AnyTensor) -> Result<AnyTensor, TensorError>,
    ) -> PyResult<PyTensor> {
        let inner = self.inner()?;
        guarded(what, || f(inner).map(PyTensor::new).map_err(tensor_error))
    }
}

/// A tensor's backward step, callable: `out.grad_fn(upstream)`.
#[pyclass(module = "ferrograd", frozen)]
pub struct GradFn {
    tensor: ThreadBound<AnyTensor>,
}

#[pymethods]
impl GradFn {
    /// Adds each parent's share of `grad` (an array of the output's shape) into its `.grad`.
    fn __call__(&self, grad: &Bound<'_, PyAny>) -> PyResult<()> {
        fn apply<T: Float>(t: &Tensor<T>, grad: &Bound<'_, PyAny>) -> PyResult<()> {
            let grad = to_array::<T>(grad, "grad_fn")?;
            guarded("grad_fn", || {
                t.try_apply_grad_fn(grad).map_err(tensor_error)
            })
        }
        dispatch!(self.tensor.get("grad_fn")?, t => apply(t, grad))
    }

    /// The operation's name, e.g. `'<AddBackward>'`.
    #[getter]
    fn name(&self) -> PyResult<&'static str> {
        Ok(dispatch!(self.tensor.get("grad_fn")?, t => t.grad_fn_name()).unwrap_or("<None>"))
    }

    fn __repr__(&self) -> PyResult<String> {
        Ok(format!("<ferrograd grad_fn {}>", self.name()?))
    }
}

/// `with ferrograd.no_grad():` runs its block without recording a graph (on this thread):
/// results of operations inside do not require grad.
#[pyclass(name = "no_grad", module = "ferrograd", frozen)]
pub struct NoGrad {
    previous: ThreadBound<std::cell::Cell<Vec<bool>>>,
}

#[pymethods]
impl NoGrad {
    #[new]
    fn new() -> Self {
        NoGrad {
            previous: ThreadBound::new(std::cell::Cell::new(Vec::new())),
        }
    }

    fn __enter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        let previous = slf.get().previous.get("no_grad")?;
        let mut stack = previous.take();
        stack.push(ferrograd::set_grad_enabled(false));
        previous.set(stack);
        Ok(slf.clone())
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        let previous = self.previous.get("no_grad")?;
        let mut stack = previous.take();
        ferrograd::set_grad_enabled(stack.pop().unwrap_or(true));
        previous.set(stack);
        Ok(false)
    }
}

/// Whether operations on this thread record a graph (false inside `no_grad`).
#[pyfunction]
fn is_grad_enabled() -> bool {
    ferrograd::is_grad_enabled()
}

/// Registers the `Tensor` class.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTensor>()?;
    m.add_class::<GradFn>()?;
    m.add_class::<NoGrad>()?;
    m.add_function(wrap_pyfunction!(is_grad_enabled, m)?)?;
    Ok(())
}

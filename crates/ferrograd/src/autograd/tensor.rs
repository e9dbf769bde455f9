//! [`Tensor`]: an n-d array that remembers the operations that made it.

use std::cell::{Cell, Ref, RefCell, RefMut};
use std::rc::Rc;

use ndarray::{ArcArray, ArrayD, Dimension, IxDyn};

use super::grad_mode::is_grad_enabled;
use super::gradient::Gradient;
use super::op::OpKind;
use crate::error::{TensorError, unwrap_or_fail};
use crate::kernels::Element;

/// One recorded operation: what it was and the tensors it read. Its derivative lives in
/// `autograd::backward`, in one `match` over [`OpKind`].
pub(crate) struct Op<T: Element> {
    pub(crate) kind: OpKind<T>,
    pub(crate) inputs: Vec<Tensor<T>>,
}

/// An n-dimensional array of `f32` (default) or `f64` that records the operations that made it,
/// so that [`backward`](Tensor::backward) can differentiate through them.
///
/// A `Tensor` is a cheap handle: `clone` shares the same node (data, gradient and history).
/// Handles are `Rc`-based, so a graph lives on one thread.
///
/// ```
/// use ferrograd::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap().requires_grad();
/// let y = (&x * &x).sum(None, false); // y = Σ x², so dy/dx = 2x
/// y.backward();
/// assert_eq!(x.grad().unwrap().as_slice().unwrap(), &[2.0, 4.0, 6.0]);
/// ```
pub struct Tensor<T: Element = f32> {
    pub(crate) node: Rc<Node<T>>,
}

/// The shared state behind a [`Tensor`] handle.
pub(crate) struct Node<T: Element> {
    data: RefCell<ArcArray<T, IxDyn>>,
    grad: RefCell<Gradient<T>>,
    requires_grad: Cell<bool>,
    op: Option<Op<T>>,
}

thread_local! {
    static LIVE_NODES: Cell<usize> = const { Cell::new(0) };
}

/// How many tensor nodes (distinct tensors, not handles) are alive on this thread. A training
/// loop whose graphs are freed returns to the same count after every step; tests use it to prove
/// that nothing leaks.
///
/// ```
/// use ferrograd::{Tensor, live_tensors};
/// let before = live_tensors();
/// let x = Tensor::<f32>::ones(&[3]).requires_grad();
/// let loss = (&x * 2.0).sum(None, false);
/// loss.backward();
/// drop((x, loss));
/// assert_eq!(live_tensors(), before);
/// ```
pub fn live_tensors() -> usize {
    LIVE_NODES.with(Cell::get)
}

impl<T: Element> Clone for Tensor<T> {
    fn clone(&self) -> Self {
        Tensor {
            node: Rc::clone(&self.node),
        }
    }
}

impl<T: Element> Tensor<T> {
    fn from_node(data: ArcArray<T, IxDyn>, requires_grad: bool, op: Option<Op<T>>) -> Self {
        LIVE_NODES.with(|n| n.set(n.get() + 1));
        Tensor {
            node: Rc::new(Node {
                data: RefCell::new(data),
                grad: RefCell::new(Gradient::new()),
                requires_grad: Cell::new(requires_grad),
                op,
            }),
        }
    }

    /// The result of an operation: records `kind` and `inputs` when any input needs grad and
    /// recording is on, otherwise a plain tensor with no history.
    pub(crate) fn from_op(data: ArrayD<T>, kind: OpKind<T>, inputs: &[&Tensor<T>]) -> Self {
        let record = is_grad_enabled() && inputs.iter().any(|t| t.needs_grad());
        let op = record.then(|| Op {
            kind,
            inputs: inputs.iter().map(|&t| t.clone()).collect(),
        });
        Self::from_node(data.into_shared(), record, op)
    }

    /// A leaf tensor holding `array` (any dimension), not requiring grad.
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// let t = Tensor::from_array(ndarray::array![[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(t.shape(), vec![2, 2]);
    /// ```
    pub fn from_array<D: Dimension>(array: ndarray::Array<T, D>) -> Self {
        Self::from_node(array.into_dyn().into_shared(), false, None)
    }

    /// A leaf tensor on a shared buffer, without copying it: the tensor and every other holder of
    /// the buffer see the same values until one of them writes, which first copies the data for
    /// itself (copy-on-write; see [`data_mut`](Self::data_mut)).
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// let values = ndarray::array![1.0f64, 2.0].into_dyn().into_shared();
    /// let t = Tensor::from_shared(values.clone());
    /// assert_eq!(t.shared_data().as_ptr(), values.as_ptr()); // one buffer, not a copy
    /// ```
    pub fn from_shared<D: Dimension>(array: ArcArray<T, D>) -> Self {
        Self::from_node(array.into_dyn(), false, None)
    }

    /// A leaf tensor of the given shape from row-major values.
    ///
    /// # Errors
    /// [`TensorError::ElementCount`] when `values.len()` is not the product of `shape`;
    /// [`TensorError::TooLarge`] when no array can have `shape` (see its docs).
    pub fn from_vec(values: Vec<T>, shape: &[usize]) -> Result<Self, TensorError> {
        crate::error::check_indexable("from_vec", shape)?;
        let len = values.len();
        ArrayD::from_shape_vec(IxDyn(shape), values)
            .map(Self::from_array)
            .map_err(|_| TensorError::ElementCount {
                op: "from_vec",
                len,
                shape: shape.to_vec(),
            })
    }

    /// A leaf tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Self::from_array(ArrayD::zeros(IxDyn(shape)))
    }

    /// A leaf tensor of ones.
    pub fn ones(shape: &[usize]) -> Self {
        Self::from_array(ArrayD::ones(IxDyn(shape)))
    }

    /// A 0-d leaf tensor (shape `[]`) holding `value`.
    pub fn scalar(value: T) -> Self {
        Self::from_array(ndarray::arr0(value))
    }

    /// Marks this tensor as needing a gradient and returns it (a builder step):
    /// `Tensor::ones(&[3]).requires_grad()`.
    pub fn requires_grad(self) -> Self {
        self.node.requires_grad.set(true);
        self
    }

    /// Whether a gradient flows to this tensor: a leaf marked with
    /// [`requires_grad`](Self::requires_grad), or the result of an operation on one.
    pub fn needs_grad(&self) -> bool {
        self.node.requires_grad.get()
    }

    /// Whether this tensor was made by the user rather than recorded from an operation.
    pub fn is_leaf(&self) -> bool {
        self.node.op.is_none()
    }

    /// A copy of the data.
    pub fn to_array(&self) -> ArrayD<T> {
        self.node.data.borrow().to_owned()
    }

    /// Borrows the data without copying.
    ///
    /// The data lives in a reference-counted buffer ([`ArcArray`]), which
    /// [`shared_data`](Self::shared_data) hands out without copying.
    ///
    /// # Panics
    /// While a [`data_mut`](Self::data_mut) borrow of the same tensor is alive.
    pub fn data(&self) -> Ref<'_, ArcArray<T, IxDyn>> {
        self.node.data.borrow()
    }

    /// Borrows the data mutably, for in-place parameter updates by optimizers, or to replace it
    /// (`*t.data_mut() = array.into_shared()`). Changing the data of a tensor whose graph has not
    /// run backward yet changes what backward computes.
    ///
    /// Writes are copy-on-write: while another handle from [`shared_data`](Self::shared_data)
    /// holds the buffer, the first write copies the data into a buffer of the tensor's own, and
    /// the other handle keeps the old values.
    pub fn data_mut(&self) -> RefMut<'_, ArcArray<T, IxDyn>> {
        self.node.data.borrow_mut()
    }

    /// A handle to the data's buffer, without copying. The buffer stays alive and unchanged in
    /// place for as long as the handle does, whatever happens to the tensor: replacing the
    /// tensor's data, writing to it (copy-on-write, see [`data_mut`](Self::data_mut)) or
    /// dropping the tensor and its graph leave the handle valid. Bindings use it to lend the
    /// buffer to another runtime (the Python module hands it to NumPy) without a copy per read.
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// let t = Tensor::from_array(ndarray::array![1.0f64, 2.0]);
    /// let shared = t.shared_data();
    /// assert_eq!(shared.as_ptr(), t.data().as_ptr()); // the same buffer
    /// t.data_mut()[0] = 5.0; // copy-on-write: the tensor gets a buffer of its own
    /// assert_eq!((shared[0], t.data()[0]), (1.0, 5.0));
    /// ```
    pub fn shared_data(&self) -> ArcArray<T, IxDyn> {
        self.node.data.borrow().clone()
    }

    /// A copy of the accumulated gradient, if backward has reached this tensor.
    ///
    /// Like PyTorch, gradients are kept on leaves (tensors made with `requires_grad`); the
    /// intermediate results of a graph pass theirs on and do not keep them, unless backward was
    /// asked to ([`try_backward_retaining_grads`](Self::try_backward_retaining_grads)).
    pub fn grad(&self) -> Option<ArrayD<T>> {
        self.node.grad.borrow_mut().get().map(|g| g.to_owned())
    }

    /// Borrows the accumulated gradient without copying, if there is one.
    pub fn grad_ref(&self) -> Option<Ref<'_, ArcArray<T, IxDyn>>> {
        self.node.grad.borrow_mut().get()?;
        Ref::filter_map(self.node.grad.borrow(), |g| g.sum()).ok()
    }

    /// A handle to the accumulated gradient's buffer, without copying, if there is one; like
    /// [`shared_data`](Self::shared_data), it stays valid whatever happens to the tensor, and
    /// later backward passes write into a copy while it is alive. The buffer is this tensor's
    /// alone: a gradient that backward left shared with other tensors' (an addition passes one
    /// gradient to both inputs) is copied first, so that writes through a raw view of the
    /// buffer, as the Python module's NumPy arrays make, change this tensor's gradient only.
    pub fn shared_grad(&self) -> Option<ArcArray<T, IxDyn>> {
        self.node.grad.borrow_mut().unshared().cloned()
    }

    /// Replaces the accumulated gradient (`None` clears it, as before any backward pass). The
    /// next backward pass adds into it.
    ///
    /// # Errors
    /// [`TensorError::GradShape`] when `grad` does not have the data's shape.
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// let x = Tensor::<f64>::ones(&[2]).requires_grad();
    /// x.set_grad(Some(ndarray::array![1.0, 2.0].into_dyn()))?;
    /// (&x * 3.0).sum_all().backward();
    /// assert_eq!(x.grad().unwrap(), ndarray::array![4.0, 5.0].into_dyn());
    /// assert!(x.set_grad(Some(ndarray::array![1.0].into_dyn())).is_err());
    /// # Ok::<(), ferrograd::TensorError>(())
    /// ```
    pub fn set_grad(&self, grad: Option<ArrayD<T>>) -> Result<(), TensorError> {
        if let Some(grad) = &grad {
            let shape = self.shape();
            if grad.shape() != shape.as_slice() {
                return Err(TensorError::GradShape {
                    op: "set_grad",
                    grad: grad.shape().to_vec(),
                    shape,
                });
            }
        }
        self.node.grad.borrow_mut().set(grad);
        Ok(())
    }

    /// Sets the gradient to zeros, keeping its buffer for the next backward pass.
    pub fn zero_grad(&self) {
        self.node.grad.borrow_mut().zero();
    }

    /// The accumulated gradient, for backward to add into.
    pub(crate) fn gradient_mut(&self) -> RefMut<'_, Gradient<T>> {
        self.node.grad.borrow_mut()
    }

    /// The shape, e.g. `vec![2, 3]`; `vec![]` for a 0-d tensor.
    pub fn shape(&self) -> Vec<usize> {
        self.node.data.borrow().shape().to_vec()
    }

    /// The number of axes.
    pub fn ndim(&self) -> usize {
        self.node.data.borrow().ndim()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.node.data.borrow().len()
    }

    /// Whether the tensor holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of a one-element tensor, such as a loss.
    ///
    /// # Panics
    /// When the tensor holds more or fewer than one element; see [`try_item`](Self::try_item).
    #[track_caller]
    pub fn item(&self) -> T {
        unwrap_or_fail(self.try_item())
    }

    /// The value of a one-element tensor, or [`TensorError::NotOneElement`].
    pub fn try_item(&self) -> Result<T, TensorError> {
        let data = self.node.data.borrow();
        match data.len() {
            1 => Ok(*data.iter().next().expect("one element")),
            len => Err(TensorError::NotOneElement {
                shape: data.shape().to_vec(),
                len,
            }),
        }
    }

    /// The tensors this one was computed from (empty for leaves and untracked results).
    pub fn parents(&self) -> Vec<Tensor<T>> {
        self.node
            .op
            .as_ref()
            .map_or_else(Vec::new, |op| op.inputs.clone())
    }

    /// The recorded operation's name, e.g. `Some("<AddBackward>")`; `None` for leaves.
    pub fn grad_fn_name(&self) -> Option<&'static str> {
        self.node.op.as_ref().map(|op| op.kind.grad_fn_name())
    }

    /// The same data, cut from the graph: a new leaf that does not require grad.
    pub fn detach(&self) -> Self {
        Self::from_shared(self.shared_data())
    }

    pub(crate) fn op(&self) -> Option<&Op<T>> {
        self.node.op.as_ref()
    }

    /// Whether two handles share one node.
    pub fn same_node(&self, other: &Tensor<T>) -> bool {
        Rc::ptr_eq(&self.node, &other.node)
    }

    pub(crate) fn node_ptr(&self) -> *const () {
        Rc::as_ptr(&self.node).cast()
    }
}

/// Dropping a graph walks it with a stack instead of recursing, so a chain of millions of
/// operations cannot overflow the call stack.
impl<T: Element> Drop for Node<T> {
    fn drop(&mut self) {
        let _ = LIVE_NODES.try_with(|n| n.set(n.get() - 1));
        let Some(op) = self.op.take() else { return };
        let mut pending = op.inputs;
        while let Some(tensor) = pending.pop() {
            if let Ok(mut node) = Rc::try_unwrap(tensor.node)
                && let Some(op) = node.op.take()
            {
                pending.extend(op.inputs);
            }
        }
    }
}

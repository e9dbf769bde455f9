//! Reverse-mode differentiation: the graph's walk run backwards, and every operation's
//! derivative.

use ndarray::{ArcArray, ArrayBase, ArrayD, ArrayView2, Axis, Data, IxDyn, Zip};

use super::broadcast::broadcast_grad_accumulate;
use super::op::OpKind;
use super::tensor::{Op, Tensor};
use super::walk::SortedNodes;
use crate::error::{TensorError, unwrap_or_fail};
use crate::kernels::{Element, matmul, zip_assign, zip_map};

impl<T: Element> Tensor<T> {
    /// Computes the gradient of this tensor with respect to every leaf that requires grad, seeding
    /// it with ones of its own shape, and adds it into each leaf's [`grad`](Self::grad).
    ///
    /// Nodes are visited in reverse topological order, so a tensor used by several operations
    /// has all their contributions summed before it passes its gradient on.
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// let x = Tensor::from_array(ndarray::array![2.0f64]).requires_grad();
    /// let y = &x * &x + 5.0 * &x + 4.0; // dy/dx = 2x + 5
    /// y.backward();
    /// assert_eq!(x.grad().unwrap()[0], 9.0);
    /// ```
    ///
    /// # Panics
    /// When the tensor does not require grad; see [`try_backward`](Self::try_backward).
    #[track_caller]
    pub fn backward(&self) {
        unwrap_or_fail(self.try_backward())
    }

    /// [`backward`](Self::backward), returning [`TensorError::NoGrad`] instead of panicking.
    pub fn try_backward(&self) -> Result<(), TensorError> {
        let seed = ArrayD::ones(self.data().raw_dim());
        self.try_backward_with(seed)
    }

    /// [`backward`](Self::backward) with an explicit seed gradient of this tensor's shape.
    ///
    /// # Panics
    /// When the tensor does not require grad or the seed has another shape.
    #[track_caller]
    pub fn backward_with(&self, grad: ArrayD<T>) {
        unwrap_or_fail(self.try_backward_with(grad))
    }

    /// [`backward_with`](Self::backward_with), returning an error instead of panicking.
    pub fn try_backward_with(&self, grad: ArrayD<T>) -> Result<(), TensorError> {
        self.walk(grad, false)
    }

    /// [`try_backward`](Self::try_backward) that also keeps the gradient of every intermediate
    /// result the walk passes through, as the original Python design does (each tensor that
    /// requires grad ends with its `.grad`). Plain `backward` keeps only leaves' gradients, as
    /// PyTorch does. A kept gradient shares its buffer with the one the walk passes on (no copy);
    /// whichever is written to later gets a copy of its own first (copy-on-write).
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// let x = Tensor::from_array(ndarray::array![1.0f64, 2.0]).requires_grad();
    /// let y = &x * 3.0; // an intermediate result
    /// let z = (&y * &y).sum_all(); // dz/dy = 2y = [6, 12], dz/dx = 3 · dz/dy
    /// z.try_backward_retaining_grads()?;
    /// assert_eq!(y.grad().unwrap(), ndarray::array![6.0, 12.0].into_dyn());
    /// assert_eq!(x.grad().unwrap(), ndarray::array![18.0, 36.0].into_dyn());
    /// # Ok::<(), ferrograd::TensorError>(())
    /// ```
    ///
    /// # Errors
    /// As [`try_backward`](Self::try_backward).
    pub fn try_backward_retaining_grads(&self) -> Result<(), TensorError> {
        let seed = ArrayD::ones(self.data().raw_dim());
        self.walk(seed, true)
    }

    /// Runs the derivative of the operation that made this tensor once, with `grad` as the
    /// gradient flowing into it, and adds each input's share into that input's gradient, summed
    /// back over the axes it was broadcast along: one step of backward, the original design's
    /// `out.grad_fn(grad)`. Inputs that do not require grad get nothing.
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// use ndarray::array;
    /// let a = Tensor::from_array(array![[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]).requires_grad();
    /// let b = Tensor::from_array(array![[8.0f64, 2.0, 5.0]]).requires_grad();
    /// let out = &a * &b;
    /// out.try_apply_grad_fn(array![[1.0, 4.0, 7.0], [2.0, 1.0, 6.0]].into_dyn())?;
    /// assert_eq!(a.grad().unwrap(), array![[8.0, 8.0, 35.0], [16.0, 2.0, 30.0]].into_dyn()); // g·b
    /// assert_eq!(b.grad().unwrap(), array![[9.0, 13.0, 57.0]].into_dyn()); // Σ rows of g·a
    /// # Ok::<(), ferrograd::TensorError>(())
    /// ```
    ///
    /// # Errors
    /// [`TensorError::NoGradFn`] when this tensor records no operation,
    /// [`TensorError::GradShape`] when `grad` does not have this tensor's shape, and
    /// [`TensorError::ShapeChanged`] when the inputs' data was replaced by data of other shapes
    /// since the operation ran.
    pub fn try_apply_grad_fn(&self, grad: ArrayD<T>) -> Result<(), TensorError> {
        let Some(op) = self.op() else {
            return Err(TensorError::NoGradFn);
        };
        if grad.shape() != self.data().shape() {
            return Err(TensorError::GradShape {
                op: "grad_fn",
                grad: grad.shape().to_vec(),
                shape: self.shape(),
            });
        }
        check_shapes(self)?;
        let input_grads = derivative(op, &self.data(), grad.into_shared());
        for (input, input_grad) in op.inputs.iter().zip(input_grads) {
            if let Some(input_grad) = input_grad {
                let input_grad = summed_to(&input.data(), input_grad);
                input.gradient_mut().add(input_grad);
            }
        }
        Ok(())
    }

    /// [`try_apply_grad_fn`](Self::try_apply_grad_fn), panicking on its errors.
    ///
    /// # Panics
    /// When this tensor records no operation or `grad` does not have its shape.
    #[track_caller]
    pub fn apply_grad_fn(&self, grad: ArrayD<T>) {
        unwrap_or_fail(self.try_apply_grad_fn(grad))
    }

    /// The reverse walk from this tensor, seeded with `grad`; with `retain`, every intermediate
    /// result keeps its gradient too.
    fn walk(&self, grad: ArrayD<T>, retain: bool) -> Result<(), TensorError> {
        if !self.needs_grad() {
            return Err(TensorError::NoGrad);
        }
        if grad.shape() != self.data().shape() {
            return Err(TensorError::GradShape {
                op: "backward_with",
                grad: grad.shape().to_vec(),
                shape: self.shape(),
            });
        }
        let sorted = SortedNodes::walk(self, Tensor::needs_grad);
        let order = sorted.nodes();
        order.iter().try_for_each(check_shapes)?;
        // Gradients are shared buffers: a gradient kept by `retain`, passed on unchanged (an
        // addition's) or handed to several inputs is one buffer, not a copy each. Whatever writes
        // to one while it is shared works on a copy of its own (copy-on-write).
        let mut grads: Vec<Option<ArcArray<T, IxDyn>>> = vec![None; order.len()];
        grads[order.len() - 1] = Some(grad.into_shared());
        for (i, tensor) in order.iter().enumerate().rev() {
            let Some(grad) = grads[i].take() else {
                continue;
            };
            let Some(op) = tensor.op() else {
                tensor.gradient_mut().add(grad);
                continue;
            };
            if retain {
                tensor.gradient_mut().add(grad.clone());
            }
            let input_grads = derivative(op, &tensor.data(), grad);
            for (input, input_grad) in op.inputs.iter().zip(input_grads) {
                let Some(input_grad) = input_grad else {
                    continue;
                };
                let input_grad = summed_to(&input.data(), input_grad);
                let slot = &mut grads[sorted.index_of(input).expect("walked")];
                *slot = Some(match slot.take() {
                    Some(sum) => add(sum, input_grad),
                    None => input_grad,
                });
            }
        }
        Ok(())
    }
}

/// `grad` summed back over the axes along which `input` was broadcast; `grad` itself when it
/// already has `input`'s shape.
fn summed_to<T: Element>(
    input: &ArcArray<T, IxDyn>,
    grad: ArcArray<T, IxDyn>,
) -> ArcArray<T, IxDyn> {
    if grad.shape() == input.shape() {
        grad
    } else {
        broadcast_grad_accumulate(input.shape(), grad.view()).into_shared()
    }
}

/// `a + b`, in the buffer of whichever of them nothing else holds, else in a new one. (Addition
/// commutes exactly, so the buffer chosen does not change the bits.)
fn add<T: Element>(mut a: ArcArray<T, IxDyn>, mut b: ArcArray<T, IxDyn>) -> ArcArray<T, IxDyn> {
    if a.is_unique() {
        a += &b;
        a
    } else if b.is_unique() && b.shape() == a.shape() {
        b += &a;
        b
    } else {
        (&a + &b).into_shared()
    }
}

/// [`TensorError::ShapeChanged`] when the shapes of `tensor` and its recorded operation's inputs
/// are no longer ones the operation could have made (data replaced since), so that no derivative
/// runs on shapes it cannot handle.
fn check_shapes<T: Element>(tensor: &Tensor<T>) -> Result<(), TensorError> {
    let Some(op) = tensor.op() else {
        return Ok(());
    };
    let inputs: Vec<_> = op.inputs.iter().map(|t| t.data()).collect();
    let shapes: Vec<&[usize]> = inputs.iter().map(|d| d.shape()).collect();
    let out = tensor.data();
    if op.kind.fits(&shapes, out.shape()) {
        return Ok(());
    }
    Err(TensorError::ShapeChanged {
        op: op.kind.grad_fn_name(),
        inputs: shapes.iter().map(|s| s.to_vec()).collect(),
        output: out.shape().to_vec(),
    })
}

/// The gradient of each input of `op` (in order; `None` for inputs that need none), given the
/// operation's output `out` and the gradient `grad` flowing into it. Gradients may still have the
/// broadcast output's shape; the caller sums them back to each input's shape.
///
/// The result is computed in `grad`'s buffer when nothing else holds it (plain backward), and in
/// a new one when it is shared (a retained gradient); the arithmetic is the same either way.
fn derivative<T: Element>(
    op: &Op<T>,
    out: &ArcArray<T, IxDyn>,
    grad: ArcArray<T, IxDyn>,
) -> Vec<Option<ArcArray<T, IxDyn>>> {
    let needs = |k: usize| op.inputs[k].needs_grad();
    if grad.is_empty() {
        // Sums over no elements: zeros. The derivatives below would still walk every (empty)
        // row of the gradient, as many as its other sizes multiply to.
        let zeros = |k: usize| ArcArray::zeros(op.inputs[k].data().raw_dim());
        return (0..op.inputs.len())
            .map(|k| needs(k).then(|| zeros(k)))
            .collect();
    }
    let input = |k: usize| op.inputs[k].data();
    let one = T::one();
    match op.kind {
        OpKind::Add => vec![needs(0).then(|| grad.clone()), needs(1).then_some(grad)],
        OpKind::Sub => vec![
            needs(0).then(|| grad.clone()),
            needs(1).then(|| map(grad, |g| -g)),
        ],
        OpKind::Mul => {
            let da = needs(0).then(|| zip_with(grad.clone(), &input(1), |g, b| g * b));
            vec![
                da,
                needs(1).then(|| zip_with(grad, &input(0), |g, a| g * a)),
            ]
        }
        // d(a/b)/da = 1/b, d(a/b)/db = -a/b² (as -(g·a) / (b·b))
        OpKind::Div => {
            let (a, b) = (input(0), input(1));
            let da = needs(0).then(|| zip_with(grad.clone(), &b, |g, b| g / b));
            let db = needs(1).then(|| {
                let ga = zip_with(grad, &a, |g, a| g * a);
                zip_with(ga, &b, |ga, b| -ga / (b * b))
            });
            vec![da, db]
        }
        // C = A·B (+ bias): dA = G·Bᵀ, dB = Aᵀ·G, d(bias) = G (summed to its shape by the
        // caller); a leaf's share of a product goes straight into its gradient buffer.
        OpKind::Matmul | OpKind::MatmulAdd => {
            let mut grads = {
                let (a, b) = (input(0), input(1));
                let (a, b, g) = (as_matrix(&a), as_matrix(&b), as_matrix(&grad));
                let product = |target: &Tensor<T>, x: ArrayView2<T>, y: ArrayView2<T>| {
                    if target.is_leaf() {
                        target.gradient_mut().add_product(x, y);
                        None
                    } else {
                        Some(matmul(x, y).into_dyn().into_shared())
                    }
                };
                vec![
                    needs(0).then(|| product(&op.inputs[0], g, b.t())).flatten(),
                    needs(1).then(|| product(&op.inputs[1], a.t(), g)).flatten(),
                ]
            };
            if matches!(op.kind, OpKind::MatmulAdd) {
                grads.push(needs(2).then_some(grad));
            }
            grads
        }
        OpKind::Neg => vec![Some(map(grad, |g| -g))],
        OpKind::Exp => vec![Some(zip_with(grad, out, |g, y| g * y))],
        OpKind::Log => vec![Some(zip_with(grad, &input(0), |g, x| g / x))],
        OpKind::Tanh => vec![Some(zip_with(grad, out, |g, y| g * (one - y * y)))],
        OpKind::Relu => vec![Some(zip_with(grad, &input(0), |g, x| {
            if x > T::zero() { g } else { T::zero() }
        }))],
        OpKind::Sigmoid => vec![Some(zip_with(grad, out, |g, y| g * y * (one - y)))],
        OpKind::Powf(p) => vec![Some(zip_with(grad, &input(0), |g, x| {
            g * p * x.powf(p - one)
        }))],
        OpKind::Sum { axis, keepdims } => {
            vec![Some(expand(grad, axis, keepdims, input(0).shape()))]
        }
        OpKind::Mean { axis, keepdims } => {
            let x = input(0);
            let count = T::from_f64(axis.map_or(x.len(), |a| x.shape()[a]) as f64);
            let grad = map(grad, |g| g / count);
            vec![Some(expand(grad, axis, keepdims, x.shape()))]
        }
        OpKind::Max { axis, keepdims } => {
            let grad = grad.into_owned();
            vec![Some(max_derivative(&input(0), out, grad, axis, keepdims))]
        }
        OpKind::Reshape => {
            let shape = IxDyn(input(0).shape());
            let grad = grad.into_owned();
            let grad = if grad.is_standard_layout() {
                grad
            } else {
                grad.as_standard_layout().into_owned()
            };
            vec![Some(
                grad.into_shape_with_order(shape)
                    .expect("same element count")
                    .into_shared(),
            )]
        }
        OpKind::Transpose => vec![Some(grad.reversed_axes())],
        // y = softmax(x): dx = y ⊙ (g - Σ g⊙y)
        OpKind::Softmax { axis } => {
            let dot = (&grad * out).sum_axis(Axis(axis)).insert_axis(Axis(axis));
            let mut dx = grad.into_owned();
            Zip::from(&mut dx)
                .and(out)
                .and_broadcast(&dot)
                .for_each(|g, &y, &s| *g = y * (*g - s));
            vec![Some(dx.into_shared())]
        }
        // y = log_softmax(x): dx = g - softmax(x) ⊙ Σ g
        OpKind::LogSoftmax { axis } => {
            let total = grad.sum_axis(Axis(axis)).insert_axis(Axis(axis));
            let mut dx = grad.into_owned();
            Zip::from(&mut dx)
                .and(out)
                .and_broadcast(&total)
                .for_each(|d, &y, &s| *d -= y.exp() * s);
            vec![Some(dx.into_shared())]
        }
    }
}

/// A 2-d view of an operand of `matmul`.
fn as_matrix<T: Element, S: Data<Elem = T>>(x: &ArrayBase<S, IxDyn>) -> ArrayView2<'_, T> {
    x.view()
        .into_dimensionality()
        .expect("matmul operands are 2-d")
}

/// `f(g)` for each element `g` of `grad`, in its buffer when nothing else holds it.
fn map<T: Element>(mut grad: ArcArray<T, IxDyn>, f: impl Fn(T) -> T) -> ArcArray<T, IxDyn> {
    if grad.is_unique() {
        grad.mapv_inplace(f);
        grad
    } else {
        grad.mapv(f).into_shared()
    }
}

/// `f(g, o)` for each element `g` of `grad` and `o` of `other` (broadcast to `grad`'s shape), in
/// `grad`'s buffer when nothing else holds it.
fn zip_with<T: Element>(
    mut grad: ArcArray<T, IxDyn>,
    other: &ArcArray<T, IxDyn>,
    f: impl Fn(T, T) -> T,
) -> ArcArray<T, IxDyn> {
    if grad.is_unique() {
        zip_assign(&mut grad, other, f);
        grad
    } else {
        zip_map(&grad, other, grad.shape(), f).into_shared()
    }
}

/// The gradient of a reduction's output, spread back over the reduced axes of `shape`.
fn expand<T: Element, S: Data<Elem = T>>(
    grad: ArrayBase<S, IxDyn>,
    axis: Option<usize>,
    keepdims: bool,
    shape: &[usize],
) -> ArcArray<T, IxDyn> {
    let grad = grad.view();
    let kept = match (axis, keepdims) {
        (_, true) => grad,
        (Some(axis), false) => grad.insert_axis(Axis(axis)),
        (None, false) => grad
            .into_shape_with_order(IxDyn(&vec![1; shape.len()]))
            .expect("one element"),
    };
    kept.broadcast(IxDyn(shape))
        .expect("reduced shape broadcasts back")
        .to_shared()
}

/// Max's gradient: each reduced slice's gradient goes to its maximal elements, split evenly
/// between ties.
fn max_derivative<T: Element>(
    x: &ArcArray<T, IxDyn>,
    out: &ArcArray<T, IxDyn>,
    grad: ArrayD<T>,
    axis: Option<usize>,
    keepdims: bool,
) -> ArcArray<T, IxDyn> {
    let max = expand(out.view(), axis, keepdims, x.shape());
    let mask = Zip::from(x)
        .and(&max)
        .map_collect(|&v, &m| if v == m { T::one() } else { T::zero() });
    let ties = match axis {
        Some(axis) => mask.sum_axis(Axis(axis)),
        None => ndarray::arr0(mask.sum()).into_dyn(),
    };
    let share = expand(
        grad / &ties
            .into_shape_with_order(out.raw_dim())
            .expect("same size"),
        axis,
        keepdims,
        x.shape(),
    );
    (mask * share).into_shared()
}

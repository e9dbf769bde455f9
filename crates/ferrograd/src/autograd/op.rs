//! Which operation made a tensor: every differentiable operation as one enum.

use crate::kernels::broadcast_shape;

/// Every differentiable operation, with what its backward needs beyond inputs and output.
/// Axes are already normalised to `0..ndim`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OpKind<T> {
    Add,
    Sub,
    Mul,
    Div,
    Matmul,
    MatmulAdd,
    Neg,
    Exp,
    Log,
    Tanh,
    Relu,
    Sigmoid,
    Powf(T),
    Sum { axis: Option<usize>, keepdims: bool },
    Mean { axis: Option<usize>, keepdims: bool },
    Max { axis: Option<usize>, keepdims: bool },
    Reshape,
    Transpose,
    Softmax { axis: usize },
    LogSoftmax { axis: usize },
}

impl<T> OpKind<T> {
    /// Whether an output of shape `out` computed from inputs of shapes `inputs` is what this
    /// operation makes: false once a tensor's data was replaced by data of another shape after
    /// the operation was recorded, which its derivative could not handle.
    pub(crate) fn fits(&self, inputs: &[&[usize]], out: &[usize]) -> bool {
        let same = |a: &[usize]| a == out;
        let product = |a: &[usize], b: &[usize]| match (a, b) {
            (&[p, q], &[q2, r]) if q == q2 => Some(vec![p, r]),
            _ => None,
        };
        let reduced = |axis: Option<usize>, keepdims: bool| {
            let x = inputs[0];
            match axis {
                Some(axis) if axis >= x.len() => None,
                Some(axis) if keepdims => Some(
                    x.iter()
                        .enumerate()
                        .map(|(i, &n)| if i == axis { 1 } else { n })
                        .collect(),
                ),
                Some(axis) => Some([&x[..axis], &x[axis + 1..]].concat()),
                None if keepdims => Some(vec![1; x.len()]),
                None => Some(vec![]),
            }
        };
        match *self {
            OpKind::Add | OpKind::Sub | OpKind::Mul | OpKind::Div => {
                broadcast_shape(inputs[0], inputs[1]).is_some_and(|s| same(&s))
            }
            OpKind::Matmul => product(inputs[0], inputs[1]).is_some_and(|s| same(&s)),
            OpKind::MatmulAdd => {
                product(inputs[0], inputs[1]).is_some_and(|s| same(&s))
                    && broadcast_shape(out, inputs[2]).is_some_and(|s| same(&s))
            }
            OpKind::Neg
            | OpKind::Exp
            | OpKind::Log
            | OpKind::Tanh
            | OpKind::Relu
            | OpKind::Sigmoid
            | OpKind::Powf(_) => same(inputs[0]),
            OpKind::Softmax { axis } | OpKind::LogSoftmax { axis } => {
                same(inputs[0]) && axis < out.len()
            }
            OpKind::Sum { axis, keepdims }
            | OpKind::Mean { axis, keepdims }
            | OpKind::Max { axis, keepdims } => reduced(axis, keepdims).is_some_and(|s| same(&s)),
            OpKind::Reshape => inputs[0].iter().product::<usize>() == out.iter().product::<usize>(),
            OpKind::Transpose => matches!((inputs[0], out), (&[a, b], &[c, d]) if a == d && b == c),
        }
    }

    /// The name shown as `grad_fn=<...>`, after PyTorch's and the original design's.
    pub(crate) fn grad_fn_name(&self) -> &'static str {
        match self {
            OpKind::Add => "<AddBackward>",
            OpKind::Sub => "<SubBackward>",
            OpKind::Mul => "<MulBackward>",
            OpKind::Div => "<DivBackward>",
            OpKind::Matmul => "<MatmulBackward>",
            OpKind::MatmulAdd => "<MatmulAddBackward>",
            OpKind::Neg => "<NegBackward>",
            OpKind::Exp => "<ExpBackward>",
            OpKind::Log => "<LogBackward>",
            OpKind::Tanh => "<TanhBackward>",
            OpKind::Relu => "<ReluBackward>",
            OpKind::Sigmoid => "<SigmoidBackward>",
            OpKind::Powf(_) => "<PowBackward>",
            OpKind::Sum { .. } => "<SumBackward>",
            OpKind::Mean { .. } => "<MeanBackward>",
            OpKind::Max { .. } => "<MaxBackward>",
            OpKind::Reshape => "<ReshapeBackward>",
            OpKind::Transpose => "<TransposeBackward>",
            OpKind::Softmax { .. } => "<SoftmaxBackward>",
            OpKind::LogSoftmax { .. } => "<LogSoftmaxBackward>",
        }
    }
}

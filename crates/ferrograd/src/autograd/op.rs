//! The record an operation leaves on its output: which operation, and its inputs.

use crate::{Element, Tensor};

/// One recorded operation: what it was and the tensors it read. Its derivative lives in
/// `autograd::backward`, in one `match` over [`OpKind`].
pub(crate) struct Op<T: Element> {
    pub(crate) kind: OpKind<T>,
    pub(crate) inputs: Vec<Tensor<T>>,
}

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

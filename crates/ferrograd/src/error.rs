//! The error returned by the fallible `try_*` forms of tensor operations.

use std::fmt::Display;

use thiserror::Error;

/// What went wrong in a tensor operation. The panicking forms (`add`, `matmul`, ...) panic with
/// exactly this message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TensorError {
    /// Two shapes that NumPy's broadcasting rules cannot combine.
    #[error("{op}: shapes {lhs:?} and {rhs:?} cannot be broadcast together")]
    Broadcast {
        /// The operation, e.g. `"add"`.
        op: &'static str,
        /// The left operand's shape.
        lhs: Vec<usize>,
        /// The right operand's shape.
        rhs: Vec<usize>,
    },
    /// A matrix product of shapes that are not `(p, q)` and `(q, r)`.
    #[error("matmul: shapes {lhs:?} and {rhs:?} are not aligned: expected (p, q) @ (q, r)")]
    Matmul {
        /// The left operand's shape.
        lhs: Vec<usize>,
        /// The right operand's shape.
        rhs: Vec<usize>,
    },
    /// An axis outside `-ndim..ndim`.
    #[error("{op}: axis {axis} is out of range for a tensor of shape {shape:?}")]
    AxisOutOfRange {
        /// The operation, e.g. `"sum"`.
        op: &'static str,
        /// The axis as given.
        axis: isize,
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// A tensor of the wrong rank for the operation.
    #[error("{op}: expected a {expected}-d tensor, got shape {shape:?}")]
    Rank {
        /// The operation, e.g. `"transpose"`.
        op: &'static str,
        /// The rank the operation needs.
        expected: usize,
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// A number of elements that does not fill the requested shape.
    #[error("{op}: {len} elements cannot fill shape {shape:?}")]
    ElementCount {
        /// The operation, e.g. `"reshape"` or `"from_vec"`.
        op: &'static str,
        /// The number of elements given.
        len: usize,
        /// The shape asked for.
        shape: Vec<usize>,
    },
    /// A shape whose sizes multiply past `isize::MAX` (ignoring sizes of 0), which no array can
    /// be indexed with, even one with no elements.
    #[error(
        "{op}: shape {shape:?} is too large to index (its sizes multiply past {}, the most \
         elements an array can have)",
        isize::MAX
    )]
    TooLarge {
        /// The operation, e.g. `"reshape"` or `"add"`.
        op: &'static str,
        /// The shape asked for, or the shape two operands broadcast to.
        shape: Vec<usize>,
    },
    /// A gradient whose shape is not the one it must have.
    #[error("{op}: gradient of shape {grad:?} does not fit a tensor of shape {shape:?}")]
    GradShape {
        /// The operation, e.g. `"backward_with"`.
        op: &'static str,
        /// The gradient's shape.
        grad: Vec<usize>,
        /// The shape it must have (or broadcast to).
        shape: Vec<usize>,
    },
    /// `item` on a tensor that does not hold exactly one element.
    #[error("item: tensor of shape {shape:?} holds {len} elements, expected exactly one")]
    NotOneElement {
        /// The tensor's shape.
        shape: Vec<usize>,
        /// Its number of elements.
        len: usize,
    },
    /// A recorded operation whose inputs or output no longer have shapes it could have made:
    /// some tensor's data was replaced by data of another shape after the operation ran.
    #[error(
        "{op}: its inputs now have shapes {inputs:?} and its output {output:?}, which it cannot \
         have made: a tensor's data was replaced by data of another shape after the operation \
         was recorded; compute the result again"
    )]
    ShapeChanged {
        /// The operation's `grad_fn` name, e.g. `"<AddBackward>"`.
        op: &'static str,
        /// The inputs' shapes now.
        inputs: Vec<Vec<usize>>,
        /// The output's shape now.
        output: Vec<usize>,
    },
    /// `apply_grad_fn` on a tensor that records no operation.
    #[error(
        "grad_fn: this tensor records no operation (it is a leaf, or was computed from tensors \
         that do not require grad, or inside `no_grad`)"
    )]
    NoGradFn,
    /// `backward` on a tensor that no input with `requires_grad` led to. The message says what
    /// is wrong in any language's terms; in Rust, the fix is to mark an input with
    /// [`Tensor::requires_grad`](crate::Tensor::requires_grad) and to compute the tensor outside
    /// [`no_grad`](crate::no_grad).
    #[error(
        "backward: this tensor does not require grad: none of the tensors it was computed from \
         requires grad, or it was computed inside `no_grad`"
    )]
    NoGrad,
}

/// [`TensorError::TooLarge`] unless an array of `shape` can exist: the product of its nonzero
/// sizes fits in `isize` (`ndarray`'s rule, which a shape with a 0 must meet too).
pub(crate) fn check_indexable(op: &'static str, shape: &[usize]) -> Result<(), TensorError> {
    let nonzero = shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |n, &d| n.checked_mul(d));
    match nonzero {
        Some(n) if n <= isize::MAX as usize => Ok(()),
        _ => Err(TensorError::TooLarge {
            op,
            shape: shape.to_vec(),
        }),
    }
}

/// Panics with the error's message, pointing at the caller's line.
#[cold]
#[track_caller]
pub(crate) fn fail(error: impl Display) -> ! {
    panic!("{error}")
}

/// The value, or a panic with the error's message pointing at the caller's line. The panicking
/// forms (of operations, losses, modules, optimizer constructors) use this rather than
/// `unwrap_or_else(|e| fail(e))`, whose closure cannot carry `#[track_caller]` and would point
/// the panic into this crate.
#[track_caller]
pub(crate) fn unwrap_or_fail<V, E: Display>(result: Result<V, E>) -> V {
    match result {
        Ok(value) => value,
        Err(error) => fail(error),
    }
}

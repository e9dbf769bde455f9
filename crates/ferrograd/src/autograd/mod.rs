//! The engine: the [`Tensor`] handle, the record each operation leaves on its output, and the
//! reverse-mode walk that differentiates through that record.
//!
//! - `tensor.rs`: the handle and its node (data, gradient, recorded operation);
//! - `op.rs`: every differentiable operation as one enum;
//! - `walk.rs`: the one walk over a recorded graph, its nodes inputs first ([`SortedNodes`]);
//! - `backward.rs`: that walk run backwards, and every operation's derivative in one `match`;
//! - `gradient.rs`: a leaf's accumulated gradient buffer;
//! - `broadcast.rs`: gradients summed back to the shape of an operand that was broadcast;
//! - `grad_mode.rs`: [`no_grad`];
//! - `operators.rs`: `+ - * /` and unary `-` on tensors and scalars.
//!
//! The forward half of each operation is in [`ops`](crate::ops), by family.

mod backward;
mod broadcast;
mod grad_mode;
mod gradient;
mod op;
mod operators;
mod tensor;
mod walk;

pub use broadcast::broadcast_grad_accumulate;
pub use grad_mode::{is_grad_enabled, no_grad, set_grad_enabled};
pub(crate) use op::OpKind;
pub use tensor::{Tensor, live_tensors};
pub use walk::SortedNodes;

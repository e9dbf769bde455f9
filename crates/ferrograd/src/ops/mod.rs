//! The forward half of every operation, by family. Each records an [`OpKind`](crate::autograd::OpKind)
//! whose derivative is in `autograd::backward`.

mod binary;
mod matmul;
mod reduce;
mod shape;
mod softmax;
mod unary;

//! Seeing what a graph holds and checking what it computes: printing a tensor as the original
//! design does (`Display`), its graph in Graphviz's DOT language ([`Tensor::to_dot`]), and
//! gradients against finite differences ([`gradcheck`]).
//!
//! [`Tensor::to_dot`]: crate::Tensor::to_dot

mod display;
mod dot;
mod gradcheck;

pub use gradcheck::{GradcheckReport, gradcheck, try_gradcheck};

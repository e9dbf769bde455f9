//! The floating-point types a tensor can hold.

use std::fmt::{Debug, Display, LowerExp};

use ndarray::{LinalgScalar, ScalarOperand};
use num_traits::{Float, NumAssignOps};

/// An element type of a [`Tensor`](crate::Tensor): `f32` (the default) or `f64`.
///
/// The trait is sealed: the derivatives and the GEMM paths are written and tested for these two.
pub trait Element:
    Float
    + NumAssignOps
    + LinalgScalar
    + ScalarOperand
    + Default
    + Debug
    + Display
    + LowerExp
    + Send
    + Sync
    + sealed::Sealed
    + 'static
{
    /// Converts an `f64` constant to this type (rounding for `f32`).
    fn from_f64(x: f64) -> Self;
    /// Widens this value to `f64`.
    fn to_f64(self) -> f64;
}

impl Element for f32 {
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Element for f64 {
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

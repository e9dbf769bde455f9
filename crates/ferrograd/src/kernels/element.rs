//! The floating-point types a tensor can hold.

use std::fmt::{Debug, Display, LowerExp};

use ndarray::{LinalgScalar, ScalarOperand};
use num_traits::{Float, NumAssignOps};

use super::fast_math::{exp_f64, tanh_f32};
use super::sealed::Sealed;

/// An element type of a [`Tensor`](crate::Tensor): `f32` (the default) or `f64`.
///
/// The trait is sealed: the derivatives and the kernels are written and tested for these two.
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
    + Sealed
    + 'static
{
    /// Converts an `f64` constant to this type (rounding for `f32`).
    fn from_f64(x: f64) -> Self;
    /// Widens this value to `f64`.
    fn to_f64(self) -> f64;
    /// The hyperbolic tangent as the `tanh` operation computes it: for `f32` a rational
    /// approximation within 8 ulp (relative error below 5e-7) of the correctly rounded value,
    /// which the compiler can vectorise (libm's `tanhf` took a quarter of a training step); for
    /// `f64`, libm's.
    fn tanh_fast(self) -> Self;
    /// `e^x` as the `exp` operation computes it: for `f32` libm's; for `f64` a polynomial within
    /// 2 ulp of libm's that the compiler can vectorise (libm's `exp` took a quarter
    /// of a float64 training step written from `exp`, as the original notebook's tanh is).
    fn exp_fast(self) -> Self;
}

impl Element for f32 {
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn tanh_fast(self) -> Self {
        tanh_f32(self)
    }
    #[inline]
    fn exp_fast(self) -> Self {
        self.exp()
    }
}

impl Element for f64 {
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn tanh_fast(self) -> Self {
        self.tanh()
    }
    #[inline]
    fn exp_fast(self) -> Self {
        exp_f64(self)
    }
}

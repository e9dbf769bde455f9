//! Every target but x86-64: no kernels of ferrograd's own, so products run matrixmultiply and
//! element-wise loops are compiled for the target's baseline.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

use super::Simd;

/// [`Simd::Baseline`]: no instruction set is chosen at run time on this target.
pub fn simd() -> Simd {
    Simd::Baseline
}

/// Runs `f` as it is.
#[inline]
pub(crate) fn vectorised<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// The `f32` product's code: matrixmultiply on this target.
#[derive(Clone, Copy)]
pub(crate) struct F32Kernel;

impl F32Kernel {
    pub(crate) fn choose(_: &ArrayView2<f32>, _: &ArrayView2<f32>, _: &ArrayViewMut2<f32>) -> Self {
        F32Kernel
    }

    /// `c = a·b + beta·c`.
    pub(crate) fn product(
        self,
        a: ArrayView2<f32>,
        b: ArrayView2<f32>,
        beta: f32,
        mut c: ArrayViewMut2<f32>,
    ) {
        general_mat_mul(1.0, &a, &b, beta, &mut c);
    }
}

/// The `f64` product's code: matrixmultiply on this target.
#[derive(Clone, Copy)]
pub(crate) struct F64Kernel;

impl F64Kernel {
    pub(crate) fn choose(_: &ArrayView2<f64>, _: &ArrayView2<f64>, _: &ArrayViewMut2<f64>) -> Self {
        F64Kernel
    }

    /// `c = a·b + beta·c`.
    pub(crate) fn product(
        self,
        a: ArrayView2<f64>,
        b: ArrayView2<f64>,
        beta: f64,
        mut c: ArrayViewMut2<f64>,
    ) {
        general_mat_mul(1.0, &a, &b, beta, &mut c);
    }
}

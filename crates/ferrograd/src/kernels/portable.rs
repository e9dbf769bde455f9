//! Every target but x86-64: no kernels of ferrograd's own, so products run matrixmultiply and
//! element-wise loops are compiled for the target's baseline.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2, LinalgScalar};

use super::simd::Simd;

/// [`Simd::Baseline`]: no instruction set is chosen at run time on this target.
pub fn simd() -> Simd {
    Simd::Baseline
}

/// Runs `f` as it is.
#[inline]
pub(crate) fn vectorised<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// The element types products are computed for: any that matrixmultiply takes.
pub(crate) trait Float: LinalgScalar + Send + Sync {}

impl<T: LinalgScalar + Send + Sync> Float for T {}

/// The product's code: matrixmultiply on this target.
#[derive(Clone, Copy)]
pub(crate) struct Kernel;

impl Kernel {
    pub(crate) fn choose<T>(_: &ArrayView2<T>, _: &ArrayView2<T>, _: &ArrayViewMut2<T>) -> Self {
        Kernel
    }

    /// `c = a·b + beta·c`.
    pub(crate) fn product<T: Float>(
        self,
        a: ArrayView2<T>,
        b: ArrayView2<T>,
        beta: T,
        mut c: ArrayViewMut2<T>,
    ) {
        general_mat_mul(T::one(), &a, &b, beta, &mut c);
    }
}

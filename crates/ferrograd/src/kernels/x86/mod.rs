//! x86-64: which vector instructions the CPU has, and the code that runs on them.
//!
//! A default build targets the x86-64 baseline (SSE2). The kernels here are compiled for
//! AVX-512F or AVX2 + FMA with `#[target_feature]` and chosen at run time by [`simd`]; each
//! `unsafe` call into one is preceded by that check.

mod cpu;
mod short_side;

pub use cpu::simd;
pub(crate) use short_side::{Float, Kernel};

use crate::kernels::simd::Simd;

/// Runs `f` inside a function compiled for the best vector instruction set available, so the
/// loops `f` inlines are compiled for it too (the `f32` tanh goes from 4 to 16 lanes).
#[inline]
pub(crate) fn vectorised<R>(f: impl FnOnce() -> R) -> R {
    match simd() {
        // SAFETY: `simd` found AVX-512F on this CPU, the only feature `avx512` is compiled for.
        Simd::Avx512 => unsafe { avx512(f) },
        // SAFETY: `simd` found AVX2 and FMA on this CPU, the features `avx2` is compiled for.
        Simd::Avx2 => unsafe { avx2(f) },
        Simd::Baseline => f(),
    }
}

/// # Safety
/// The CPU must have AVX-512F.
#[target_feature(enable = "avx512f")]
unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// # Safety
/// The CPU must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

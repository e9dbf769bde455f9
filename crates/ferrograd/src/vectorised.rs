//! Element-wise loops compiled for the widest vector instructions the CPU has, chosen at run time.
//!
//! A default build targets the x86-64 baseline (SSE2), so loops like the `f32` tanh run 4 lanes
//! wide even on a CPU with AVX-512. [`vectorised`] runs a closure inside a function compiled for
//! AVX-512 or AVX2 + FMA when the CPU has them, so the loops the closure inlines are compiled
//! for them too. Rust never fuses `a * b + c` into an FMA on its own, so every path computes
//! the same bits.

/// Runs `f` compiled for the best vector instruction set available.
#[inline]
pub(crate) fn vectorised<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F.
            return unsafe { avx512(f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA.
            return unsafe { avx2(f) };
        }
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

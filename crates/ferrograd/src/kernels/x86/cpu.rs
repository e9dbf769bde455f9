//! Which vector instructions this CPU has.

use crate::kernels::simd::Simd;

/// The widest vector instruction set this CPU has.
pub fn simd() -> Simd {
    if has_avx512() {
        Simd::Avx512
    } else if has_avx2_fma() {
        Simd::Avx2
    } else {
        Simd::Baseline
    }
}

/// Whether this CPU has AVX-512F (the standard library detects it once and caches it).
pub(super) fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

/// Whether this CPU has AVX2 and FMA.
pub(super) fn has_avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

//! The names of the vector instruction sets the kernels are written for.

/// The vector instructions the kernels run on, as [`simd`](fn@crate::kernels::simd) detects them on this CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simd {
    /// x86-64 AVX-512F: 16 `f32` lanes, 32 registers.
    Avx512,
    /// x86-64 AVX2 and FMA: 8 `f32` lanes, 16 registers.
    Avx2,
    /// Neither: the target's baseline, as the compiler vectorises it (matrixmultiply's own
    /// kernels for products).
    Baseline,
}

impl std::fmt::Display for Simd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Simd::Avx512 => "avx512f",
            Simd::Avx2 => "avx2+fma",
            Simd::Baseline => "baseline",
        })
    }
}

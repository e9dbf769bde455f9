//! The CPU machinery, and the only way the rest of the crate reaches it: matrix products
//! ([`matmul`], [`matmul_into`]), element-wise loops compiled for the CPU's vector instructions
//! (`vectorised`, and `zip_map` / `zip_assign` for two operands), `exp` and `tanh` written so
//! that such loops of them vectorise (`exp_f64`, `tanh_f32`), and work split over threads
//! (`run_each`, [`set_num_threads`]). `Sealed` seals [`Element`](crate::Element) to the two
//! types the kernels are written for and hands a product's operands over with their type named.
//!
//! What is portable and what is not is decided here, in one place:
//!
//! | module | what | where |
//! | --- | --- | --- |
//! | `gemm` | products split into blocks, one kernel per product | everywhere |
//! | `elementwise` | two-operand loops with broadcasting | everywhere |
//! | `fast_math` | `exp` and `tanh` without branches or calls | everywhere |
//! | `sealed` | `Element` sealed to `f32` and `f64`; a product's operands, their type named | everywhere |
//! | `x86` | CPU detection, the AVX-512 / AVX2 + FMA product kernel and loops | `x86_64` |
//! | `portable` | the same interface with matrixmultiply and plain loops | every other target |
//! | `pool` | helper threads that spin between jobs | targets with threads |
//! | `serial` | the same interface on the calling thread alone | WebAssembly |
//!
//! Every platform gives the same bits: the kernels compute each product element as one chain of
//! multiply-adds in order, and Rust never fuses `a * b + c` on its own.

mod elementwise;
mod fast_math;
mod gemm;
mod sealed;

#[cfg(target_arch = "x86_64")]
#[path = "x86/mod.rs"]
mod platform;
#[cfg(not(target_arch = "x86_64"))]
#[path = "portable.rs"]
mod platform;

#[cfg(not(target_family = "wasm"))]
mod pool;
#[cfg(target_family = "wasm")]
#[path = "serial.rs"]
mod pool;

pub(crate) use elementwise::{zip_assign, zip_map};
pub(crate) use fast_math::{exp_f64, tanh_f32};
pub use gemm::{matmul, matmul_into};
pub use platform::simd;
pub(crate) use platform::vectorised;
pub use pool::{num_threads, set_num_threads};
pub(crate) use pool::{parts_for, run_each};
pub(crate) use sealed::Sealed;

/// The vector instructions the kernels run on, as [`simd`] detects them on this CPU.
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

//! The CPU machinery, and the only way the rest of the crate reaches it: matrix products
//! ([`matmul`], [`matmul_into`]), element-wise loops compiled for the CPU's vector instructions
//! (`vectorised`, and `zip_map` / `zip_assign` for two operands), `exp` and `tanh` written so
//! that such loops of them vectorise (`exp_f64`, `tanh_f32`), and work split over threads
//! (`run_each`, [`set_num_threads`]). `Sealed` seals [`Element`] to the two
//! types the kernels are written for and hands a product's operands over with their type named.
//!
//! What is portable and what is not is decided here, in one place:
//!
//! | module | what | where |
//! | --- | --- | --- |
//! | `element` | [`Element`]: the two float types, with `exp` and `tanh` as the kernels compute them | everywhere |
//! | `gemm` | products split into blocks, one kernel per product | everywhere |
//! | `elementwise` | NumPy's broadcasting rule ([`broadcast_shape`]) and two-operand loops | everywhere |
//! | `fast_math` | `exp` and `tanh` without branches or calls | everywhere |
//! | `sealed` | `Element` sealed to `f32` and `f64`; a product's operands, their type named | everywhere |
//! | `simd` | the names of the vector instruction sets ([`Simd`]) | everywhere |
//! | `x86` | CPU detection (`cpu`), the AVX-512 / AVX2 + FMA product kernel and loops | `x86_64` |
//! | `portable` | the same interface with matrixmultiply and plain loops | every other target |
//! | `pool` | helper threads that spin between jobs | targets with threads |
//! | `serial` | the same interface on the calling thread alone | WebAssembly |
//!
//! Every platform gives the same bits: the kernels compute each product element as one chain of
//! multiply-adds in order, and Rust never fuses `a * b + c` on its own.

mod element;
mod elementwise;
mod fast_math;
mod gemm;
mod sealed;
mod simd;

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

pub use element::Element;
pub use elementwise::broadcast_shape;
pub(crate) use elementwise::{zip_assign, zip_map};
pub use gemm::{matmul, matmul_into};
pub use platform::simd;
pub(crate) use platform::vectorised;
pub use pool::{num_threads, set_num_threads};
pub(crate) use pool::{parts_for, run_each};
pub use simd::Simd;

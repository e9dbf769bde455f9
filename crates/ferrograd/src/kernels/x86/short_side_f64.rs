//! The `f64` twin of `short_side`: the same kernel (written once in that module's `kernel!` and
//! `primitives!`), instantiated for `f64` vectors, half as many lanes per register.
//!
//! The original notebook trains in float64 with batches of 32 rows; matrixmultiply's packing
//! made those products run at about 27 GFLOP/s on one thread here, where the direct kernel reads
//! the operands in place. The choice of kernel, the checks at the boundary between safe code and
//! the kernel, and the splitting over threads are those of the `f32` kernel, so results do not
//! depend on the thread count either.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, ArrayViewMut2};

use super::short_side::{Isa, Operands, SHORT_SIDE, contiguous_rows, kernel, primitives};
use crate::kernels::Simd;

/// The code that computes an `f64` product, chosen once for a whole product.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum F64Kernel {
    /// matrixmultiply, through `ndarray`.
    Library,
    /// This module's kernel on the operands as they are.
    Direct(Isa),
    /// For a `b` that is a transposed row-major matrix: `cᵀ = bᵀ·aᵀ`, as the `f32` kernel does.
    Transposed(Isa),
}

impl F64Kernel {
    /// The fastest kernel for `c = a·b` on this CPU: the same rule as the `f32` kernel's.
    pub(crate) fn choose(a: &ArrayView2<f64>, b: &ArrayView2<f64>, c: &ArrayViewMut2<f64>) -> Self {
        let isa = match super::simd() {
            Simd::Avx512 => Isa::Avx512,
            Simd::Avx2 => Isa::Avx2,
            Simd::Baseline => return F64Kernel::Library,
        };
        let (m, k) = a.dim();
        if !contiguous_rows(c) {
            F64Kernel::Library
        } else if m.min(k) <= SHORT_SIDE && contiguous_rows(b) {
            F64Kernel::Direct(isa)
        } else if m <= SHORT_SIDE && k > SHORT_SIDE && contiguous_rows(&b.t()) {
            F64Kernel::Transposed(isa)
        } else {
            F64Kernel::Library
        }
    }

    /// `c = a·b + beta·c` with this kernel, chosen for these operands or for a product they are
    /// blocks of.
    ///
    /// # Panics
    /// When the shapes do not fit `(m, k)·(k, n) = (m, n)`, or (for this module's kernels) rows
    /// of `b` and `c` are not contiguous or the CPU lacks the instructions.
    pub(crate) fn product(
        self,
        a: ArrayView2<f64>,
        b: ArrayView2<f64>,
        beta: f64,
        mut c: ArrayViewMut2<f64>,
    ) {
        match self {
            F64Kernel::Library => general_mat_mul(1.0, &a, &b, beta, &mut c),
            F64Kernel::Direct(isa) => direct(isa, a, b, beta, c),
            F64Kernel::Transposed(isa) => {
                let a_t = a.t().as_standard_layout().into_owned();
                let mut c_t = Array2::zeros((c.ncols(), c.nrows()));
                direct(isa, b.t(), a_t.view(), 0.0, c_t.view_mut());
                if beta == 0.0 {
                    c.assign(&c_t.t());
                } else {
                    c.zip_mut_with(&c_t.t(), |c, &p| *c = p + beta * *c);
                }
            }
        }
    }
}

/// `c = a·b + beta·c` on `isa`: the boundary between safe code and the kernel, which checks
/// everything the kernel relies on.
///
/// # Panics
/// When the shapes do not fit `(m, k)·(k, n) = (m, n)`, rows of `b` or `c` are not contiguous,
/// or the CPU lacks the instructions.
fn direct(isa: Isa, a: ArrayView2<f64>, b: ArrayView2<f64>, beta: f64, c: ArrayViewMut2<f64>) {
    let (m, k) = a.dim();
    let n = b.ncols();
    assert!(
        b.nrows() == k && c.dim() == (m, n),
        "matrix product shapes do not fit: {:?}·{:?} into {:?}",
        a.shape(),
        b.shape(),
        c.shape()
    );
    assert!(
        contiguous_rows(&b) && contiguous_rows(&c),
        "the short-side kernel needs contiguous rows of b (strides {:?}) and c (strides {:?})",
        b.strides(),
        c.strides()
    );
    match isa {
        Isa::Avx512 => {
            assert!(super::has_avx512(), "this CPU lacks AVX-512F");
            // SAFETY: checked just above: the CPU has AVX-512F; `a` is (m, k), `b` is (k, n) and
            // `c` is (m, n), and rows of `b` and `c` are contiguous, all that `avx512::product`
            // asks. The views keep every element they address in bounds.
            unsafe { avx512::product(a, b, beta, c) }
        }
        Isa::Avx2 => {
            assert!(super::has_avx2_fma(), "this CPU lacks AVX2 and FMA");
            // SAFETY: checked just above: the CPU has AVX2 and FMA; the shapes fit and rows of
            // `b` and `c` are contiguous, all that `avx2::product` asks.
            unsafe { avx2::product(a, b, beta, c) }
        }
    }
}

mod avx512 {
    use std::arch::x86_64::*;

    use super::{kernel, primitives};

    primitives!("avx512f", f64, __m512d, zero: _mm512_setzero_pd, splat: _mm512_set1_pd,
        fmadd: _mm512_fmadd_pd, add: _mm512_add_pd, mul: _mm512_mul_pd,
        load: _mm512_loadu_pd, store: _mm512_storeu_pd);
    const LANES: usize = 8;
    /// 24 accumulators, 3 rows of `b` and a broadcast of 32 registers.
    const MR: usize = 8;
    const NV: usize = 3;

    /// # Safety
    /// The lanes of `mask` from `p` on must be readable.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn load_masked(p: *const f64, mask: __mmask8) -> Vector {
        // SAFETY: the caller's promise; masked-off lanes are not read and cannot fault.
        unsafe { _mm512_maskz_loadu_pd(mask, p) }
    }
    /// # Safety
    /// The lanes of `mask` from `p` on must be writable.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn store_masked(p: *mut f64, mask: __mmask8, v: Vector) {
        // SAFETY: the caller's promise; masked-off lanes are not written and cannot fault.
        unsafe { _mm512_mask_storeu_pd(p, mask, v) }
    }
    /// The first `n` of 8 lanes, `1 ≤ n ≤ 8`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn first_lanes(n: usize) -> __mmask8 {
        (u32::MAX >> (32 - n)) as __mmask8
    }

    kernel!("avx512f", f64, rows: [1 2 3 4 5 6 7], vectors: [1 2]);
}

mod avx2 {
    use std::arch::x86_64::*;

    use super::{kernel, primitives};

    primitives!("avx2,fma", f64, __m256d, zero: _mm256_setzero_pd, splat: _mm256_set1_pd,
        fmadd: _mm256_fmadd_pd, add: _mm256_add_pd, mul: _mm256_mul_pd,
        load: _mm256_loadu_pd, store: _mm256_storeu_pd);
    const LANES: usize = 4;
    /// 12 accumulators, 2 rows of `b` and a broadcast of 16 registers.
    const MR: usize = 6;
    const NV: usize = 2;

    /// # Safety
    /// The lanes of `mask` from `p` on must be readable.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn load_masked(p: *const f64, mask: __m256i) -> Vector {
        // SAFETY: the caller's promise; masked-off lanes are not read and cannot fault.
        unsafe { _mm256_maskload_pd(p, mask) }
    }
    /// # Safety
    /// The lanes of `mask` from `p` on must be writable.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn store_masked(p: *mut f64, mask: __m256i, v: Vector) {
        // SAFETY: the caller's promise; masked-off lanes are not written and cannot fault.
        unsafe { _mm256_maskstore_pd(p, mask, v) }
    }
    /// The first `n` of 4 lanes: all 64 bits set in those.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn first_lanes(n: usize) -> __m256i {
        _mm256_cmpgt_epi64(_mm256_set1_epi64x(n as i64), _mm256_setr_epi64x(0, 1, 2, 3))
    }

    kernel!("avx2,fma", f64, rows: [1 2 3 4 5], vectors: [1]);
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, s};

    use super::*;

    fn isas() -> Vec<Isa> {
        let mut isas = Vec::new();
        if super::super::has_avx512() {
            isas.push(Isa::Avx512);
        }
        if super::super::has_avx2_fma() {
            isas.push(Isa::Avx2);
        }
        isas
    }

    /// `c = a·b + beta·c` with the kernel [`F64Kernel::choose`] picks, run on `isa`; whether it
    /// is this module's.
    fn try_product(
        isa: Isa,
        a: ArrayView2<f64>,
        b: ArrayView2<f64>,
        beta: f64,
        c: &mut ArrayViewMut2<f64>,
    ) -> bool {
        let kernel = match F64Kernel::choose(&a, &b, c) {
            F64Kernel::Library => F64Kernel::Library,
            F64Kernel::Direct(_) => F64Kernel::Direct(isa),
            F64Kernel::Transposed(_) => F64Kernel::Transposed(isa),
        };
        kernel.product(a, b, beta, c.view_mut());
        kernel != F64Kernel::Library
    }

    fn matrix(rows: usize, cols: usize, seed: usize) -> Array2<f64> {
        Array2::from_shape_fn((rows, cols), |(i, j)| {
            (((i * 31 + j * 17 + seed * 7) % 23) as f64 - 11.0) * 0.37 + 1e-9 * (i + j) as f64
        })
    }

    /// `a·b + beta·c` summed exactly enough: each element's products added in `f64` by
    /// ndarray's own loop, and a bound on the rounding error of any order of summation.
    fn reference(a: &Array2<f64>, b: &Array2<f64>, beta: f64, c: &Array2<f64>) -> [Array2<f64>; 2] {
        let mut exact = c * beta;
        for i in 0..a.nrows() {
            for j in 0..b.ncols() {
                exact[[i, j]] += a
                    .row(i)
                    .iter()
                    .zip(b.column(j))
                    .map(|(x, y)| x * y)
                    .sum::<f64>();
            }
        }
        let bound = (a.abs().dot(&b.abs()) + c.abs() * beta.abs() + 1.0) * 1e-13;
        [exact, bound]
    }

    #[test]
    fn products_match_a_reference_at_every_edge_and_layout() {
        for isa in isas() {
            let mut checked = 0;
            for m in [1, 2, 7, 8, 9, 17, 32, 33, 64] {
                for k in [0, 1, 5, 64, 65, 100] {
                    for n in [1, 7, 8, 9, 23, 24, 25, 130] {
                        for (b_transposed, beta) in [(false, 0.0), (false, 1.0), (true, 0.5)] {
                            let a = matrix(m, k, 1);
                            let b = if b_transposed {
                                matrix(n, k, 2).reversed_axes()
                            } else {
                                matrix(k, n, 2)
                            };
                            let mut wide = matrix(m, n + 3, 3);
                            let c_before = wide.slice(s![.., 1..n + 1]).to_owned();
                            let [exact, bound] = reference(&a, &b, beta, &c_before);
                            let mut c = wide.slice_mut(s![.., 1..n + 1]);
                            let done = try_product(isa, a.view(), b.view(), beta, &mut c);
                            if !b_transposed || k > SHORT_SIDE {
                                assert!(done, "{isa:?} {m}x{k}x{n}, b transposed: {b_transposed}");
                            }
                            if !done {
                                continue;
                            }
                            checked += 1;
                            for ((got, exact), bound) in c.iter().zip(&exact).zip(&bound) {
                                assert!(
                                    (got - exact).abs() <= *bound,
                                    "{isa:?} {m}x{k}x{n}: {got} against {exact}"
                                );
                            }
                            assert_eq!(wide.column(0), matrix(m, n + 3, 3).column(0), "left of c");
                            assert_eq!(
                                wide.slice(s![.., n + 1..]),
                                matrix(m, n + 3, 3).slice(s![.., n + 1..]),
                                "right of c"
                            );
                        }
                    }
                }
            }
            assert!(checked > 500, "only {checked} products took this path");
        }
    }

    #[test]
    fn beta_zero_overwrites_c_whatever_it_holds() {
        for isa in isas() {
            let (a, b) = (matrix(32, 20, 1), matrix(20, 40, 2));
            let mut c = Array2::from_elem((32, 40), f64::NAN);
            assert!(try_product(isa, a.view(), b.view(), 0.0, &mut c.view_mut()));
            assert!(c.iter().all(|x| x.is_finite()), "{isa:?}");
        }
    }

    #[test]
    fn both_instruction_sets_compute_the_same_bits() {
        let (a, b) = (matrix(33, 70, 1), matrix(70, 77, 2));
        let products: Vec<_> = isas()
            .into_iter()
            .map(|isa| {
                let mut c = matrix(33, 77, 3);
                assert!(try_product(isa, a.view(), b.view(), 1.0, &mut c.view_mut()));
                c
            })
            .collect();
        assert!(products.windows(2).all(|w| w[0] == w[1]));
    }
}

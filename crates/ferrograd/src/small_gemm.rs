//! An `f32` matrix product for a short side, such as a batch of 32 rows, that reads both operands
//! where they lie instead of packing them.
//!
//! matrixmultiply copies ("packs") panels of both operands before every product, which pays off
//! when each packed element is used many times. With 32 rows, each weight is used 32 times per
//! product, and packing took a quarter of the training step's GEMM time. This kernel keeps a
//! `MR × NV·16` tile of `c` in AVX-512 registers, loads rows of `b` straight from memory (they
//! must be contiguous) and broadcasts single elements of `a` (any strides). Each element of `c` is
//! one chain of fused multiply-adds over `k` in order, plus `beta·c`, so splitting `c` into blocks
//! does not change it.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

/// Rows of `c` in one register tile.
#[cfg(target_arch = "x86_64")]
const MR: usize = 8;
/// Columns of `c` in one register tile, in vectors of 16.
#[cfg(target_arch = "x86_64")]
const NV: usize = 3;

/// The code that computes an `f32` product. It is chosen once for a whole product, so every
/// block of a split product is computed alike.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kernel {
    /// matrixmultiply, through `ndarray`.
    Library,
    /// This module's kernel on the operands as they are.
    Direct,
    /// For a `b` that is a transposed row-major matrix, such as a weight in `g·wᵀ`: this module's
    /// kernel computes `cᵀ = bᵀ·aᵀ`, whose operands have contiguous rows once `aᵀ` is copied,
    /// and the result is transposed back.
    Transposed,
}

impl Kernel {
    /// The fastest kernel for `c = a·b` on this CPU.
    pub(crate) fn choose(a: &ArrayView2<f32>, b: &ArrayView2<f32>, c: &ArrayViewMut2<f32>) -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") && contiguous_rows(c) {
            let (m, k) = a.dim();
            if m.min(k) <= SHORT_SIDE && contiguous_rows(b) {
                return Kernel::Direct;
            }
            if m <= SHORT_SIDE && k > SHORT_SIDE && contiguous_rows(&b.t()) {
                return Kernel::Transposed;
            }
        }
        let _ = (a, b, c);
        Kernel::Library
    }
}

/// `c = a·b + beta·c` with `kernel`, which [`Kernel::choose`] chose for these operands or for a
/// product they are blocks of.
pub(crate) fn mat_mul_into(
    kernel: Kernel,
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    beta: f32,
    mut c: ArrayViewMut2<f32>,
) {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Direct => {
            assert!(contiguous_rows(&b) && contiguous_rows(&c));
            // SAFETY: the CPU has AVX-512F (`choose` checked), rows of `b` and `c` are contiguous.
            unsafe { avx512::product(a, b, beta, c) };
        }
        #[cfg(target_arch = "x86_64")]
        Kernel::Transposed => {
            let a_t = a.t().as_standard_layout().into_owned();
            let mut c_t = ndarray::Array2::zeros((c.ncols(), c.nrows()));
            assert!(contiguous_rows(&b.t()));
            // SAFETY: the CPU has AVX-512F (`choose` checked), rows of `bᵀ` are contiguous, and
            // `a_t` and `c_t` are in standard layout.
            unsafe { avx512::product(b.t(), a_t.view(), 0.0, c_t.view_mut()) };
            if beta == 0.0 {
                c.assign(&c_t.t());
            } else {
                c.zip_mut_with(&c_t.t(), |c, &p| *c = p + beta * *c);
            }
        }
        _ => general_mat_mul(1.0, &a, &b, beta, &mut c),
    }
}

/// Products with `m` or `k` at most this are computed here, where packing would not pay off.
#[cfg(target_arch = "x86_64")]
const SHORT_SIDE: usize = 64;

/// Whether the rows of `x` are contiguous.
#[cfg(target_arch = "x86_64")]
fn contiguous_rows<S: ndarray::RawData>(x: &ndarray::ArrayBase<S, ndarray::Ix2>) -> bool {
    x.strides()[1] == 1 || x.ncols() <= 1 || x.is_empty()
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use ndarray::{ArrayView2, ArrayViewMut2};

    use super::{MR, NV};

    const LANES: usize = 16;

    /// The operands' first elements and row and column strides.
    #[derive(Clone, Copy)]
    struct Operands {
        a: *const f32,
        a_rows: isize,
        a_cols: isize,
        b: *const f32,
        b_rows: isize,
        c: *mut f32,
        c_rows: isize,
        k: usize,
        beta: f32,
    }

    /// # Safety
    /// The CPU must have AVX-512F; rows of `b` and `c` must be contiguous.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn product(
        a: ArrayView2<f32>,
        b: ArrayView2<f32>,
        beta: f32,
        mut c: ArrayViewMut2<f32>,
    ) {
        let (m, n) = c.dim();
        let ops = Operands {
            a: a.as_ptr(),
            a_rows: a.strides()[0],
            a_cols: a.strides()[1],
            b: b.as_ptr(),
            b_rows: b.strides()[0],
            c: c.as_mut_ptr(),
            c_rows: c.strides()[0],
            k: a.ncols(),
            beta,
        };
        for j in (0..n).step_by(NV * LANES) {
            let width = (n - j).min(NV * LANES);
            // SAFETY: columns `j..j + width` lie inside `b` and `c`.
            unsafe {
                match width.div_ceil(LANES) {
                    1 => panel::<1>(ops, m, j, width),
                    2 => panel::<2>(ops, m, j, width),
                    _ => panel::<NV>(ops, m, j, width),
                }
            }
        }
    }

    /// Columns `j..j + width` of `c`, `width` at most `V·16`, one tile of `MR` rows at a time.
    #[target_feature(enable = "avx512f")]
    unsafe fn panel<const V: usize>(ops: Operands, m: usize, j: usize, width: usize) {
        let last = (u32::MAX >> (32 - (width - (V - 1) * LANES))) as __mmask16;
        for i in (0..m).step_by(MR) {
            let at = Operands {
                a: ops.a.wrapping_offset(i as isize * ops.a_rows),
                b: ops.b.wrapping_add(j),
                c: ops
                    .c
                    .wrapping_offset(i as isize * ops.c_rows)
                    .wrapping_add(j),
                ..ops
            };
            // SAFETY: rows `i..i + rows` and the panel's columns lie inside the operands.
            unsafe {
                match (m - i).min(MR) {
                    1 => tile::<1, V>(at, last),
                    2 => tile::<2, V>(at, last),
                    3 => tile::<3, V>(at, last),
                    4 => tile::<4, V>(at, last),
                    5 => tile::<5, V>(at, last),
                    6 => tile::<6, V>(at, last),
                    7 => tile::<7, V>(at, last),
                    _ => tile::<MR, V>(at, last),
                }
            }
        }
    }

    /// `R` rows and `V` vectors of columns of `c`; `last` masks the lanes of the last vector.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn tile<const R: usize, const V: usize>(ops: Operands, last: __mmask16) {
        let mask = |v: usize| if v + 1 == V { last } else { !0 };
        let mut sum = [[_mm512_setzero_ps(); V]; R];
        for p in 0..ops.k {
            let b_row = ops.b.wrapping_offset(p as isize * ops.b_rows);
            // SAFETY: the masked lanes of row `p` of the panel lie inside `b`.
            let b: [__m512; V] = std::array::from_fn(|v| unsafe {
                _mm512_maskz_loadu_ps(mask(v), b_row.add(v * LANES))
            });
            for (r, sum) in sum.iter_mut().enumerate() {
                let offset = r as isize * ops.a_rows + p as isize * ops.a_cols;
                // SAFETY: element `(r, p)` of the tile's rows lies inside `a`.
                let a = _mm512_set1_ps(unsafe { *ops.a.offset(offset) });
                for (sum, b) in sum.iter_mut().zip(b) {
                    *sum = _mm512_fmadd_ps(a, b, *sum);
                }
            }
        }
        let beta = _mm512_set1_ps(ops.beta);
        for (r, sum) in sum.iter().enumerate() {
            let c_row = ops.c.wrapping_offset(r as isize * ops.c_rows);
            for (v, &sum) in sum.iter().enumerate() {
                let c = c_row.wrapping_add(v * LANES);
                // SAFETY: the masked lanes lie inside row `r` of the tile in `c`.
                unsafe {
                    let out = if ops.beta == 0.0 {
                        sum
                    } else {
                        _mm512_add_ps(sum, _mm512_mul_ps(beta, _mm512_maskz_loadu_ps(mask(v), c)))
                    };
                    _mm512_mask_storeu_ps(c, mask(v), out);
                }
            }
        }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use ndarray::{Array2, s};

    use super::*;

    /// `c = a·b + beta·c` with the kernel [`Kernel::choose`] picks; whether it is this module's.
    fn try_mat_mul_into(
        a: ArrayView2<f32>,
        b: ArrayView2<f32>,
        beta: f32,
        c: &mut ArrayViewMut2<f32>,
    ) -> bool {
        let kernel = Kernel::choose(&a, &b, c);
        mat_mul_into(kernel, a, b, beta, c.view_mut());
        kernel != Kernel::Library
    }

    fn matrix(rows: usize, cols: usize, seed: usize) -> Array2<f32> {
        Array2::from_shape_fn((rows, cols), |(i, j)| {
            (((i * 31 + j * 17 + seed * 7) % 23) as f32 - 11.0) * 0.37
        })
    }

    /// `a·b + beta·c` in `f64`, and the bound on `f32` rounding error for each element.
    fn reference(a: &Array2<f32>, b: &Array2<f32>, beta: f32, c: &Array2<f32>) -> [Array2<f64>; 2] {
        let (a, b) = (a.mapv(f64::from), b.mapv(f64::from));
        let exact = a.dot(&b) + c.mapv(f64::from) * f64::from(beta);
        let bound = (a.abs().dot(&b.abs()) + 1.0) * 1e-5;
        [exact, bound]
    }

    #[test]
    fn products_match_an_f64_reference_at_every_edge_and_layout() {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        let mut checked = 0;
        for m in [1, 2, 7, 8, 9, 17, 32, 33, 64] {
            for k in [0, 1, 5, 64, 65, 100] {
                for n in [1, 10, 16, 17, 47, 48, 49, 130] {
                    for (b_transposed, beta) in [(false, 0.0), (false, 1.0), (true, 0.5)] {
                        let a = matrix(m, k, 1);
                        let b = if b_transposed {
                            matrix(n, k, 2).reversed_axes()
                        } else {
                            matrix(k, n, 2)
                        };
                        // `c` is a block of a wider matrix, so its rows are not adjacent.
                        let mut wide = matrix(m, n + 3, 3);
                        let c_before = wide.slice(s![.., 1..n + 1]).to_owned();
                        let [exact, bound] = reference(&a, &b, beta, &c_before);
                        let mut c = wide.slice_mut(s![.., 1..n + 1]);
                        let done = try_mat_mul_into(a.view(), b.view(), beta, &mut c);
                        // Every product here has a short side; with `b` transposed, only long ones pay for
                        // the transposing.
                        if !b_transposed || k > SHORT_SIDE {
                            assert!(done, "{m}x{k}x{n}, b transposed: {b_transposed}");
                        }
                        if !done {
                            continue;
                        }
                        checked += 1;
                        for ((got, exact), bound) in c.iter().zip(&exact).zip(&bound) {
                            let error = (f64::from(*got) - exact).abs();
                            assert!(
                                error <= *bound,
                                "{m}x{k}x{n}, b transposed: {b_transposed}: {got} against {exact}"
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

    #[test]
    fn beta_zero_overwrites_c_whatever_it_holds() {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        let (a, b) = (matrix(32, 20, 1), matrix(20, 40, 2));
        let mut c = Array2::from_elem((32, 40), f32::NAN);
        assert!(try_mat_mul_into(a.view(), b.view(), 0.0, &mut c.view_mut()));
        assert!(c.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn a_strided_lhs_reads_the_same_elements() {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        let (a, b) = (matrix(40, 30, 1), matrix(20, 50, 2));
        let a_view = a.slice(s![..;2, 5..25]);
        let mut strided = Array2::zeros((20, 50));
        let mut packed = Array2::zeros((20, 50));
        assert!(try_mat_mul_into(
            a_view,
            b.view(),
            0.0,
            &mut strided.view_mut()
        ));
        assert!(try_mat_mul_into(
            a_view.to_owned().view(),
            b.view(),
            0.0,
            &mut packed.view_mut()
        ));
        assert_eq!(strided, packed);
        let mut transposed = Array2::zeros((20, 50));
        let a_t = a_view.t().to_owned();
        assert!(try_mat_mul_into(
            a_t.t(),
            b.view(),
            0.0,
            &mut transposed.view_mut()
        ));
        assert_eq!(transposed, packed);
    }
}

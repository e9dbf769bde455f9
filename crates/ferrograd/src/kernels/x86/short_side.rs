//! A matrix product for a short side, such as a batch of 32 rows, that reads both operands where
//! they lie instead of packing them, written once for `f32` and `f64`.
//!
//! matrixmultiply copies ("packs") panels of both operands before every product, which pays off
//! when each packed element is used many times. With 32 rows, each weight is used 32 times per
//! product, and packing took a quarter of the training step's GEMM time (and held the original
//! notebook's float64 products to about 27 GFLOP/s on one thread). This kernel keeps a tile of
//! `c` in vector registers (AVX-512 or AVX2 + FMA, whichever the CPU has), loads rows of `b`
//! straight from memory (they must be contiguous) and broadcasts single elements of `a` (any
//! strides). Each element of `c` is one chain of fused multiply-adds over `k` in order, plus
//! `beta·c`, so splitting `c` into blocks does not change it.
//!
//! The choice of kernel and the checks at the boundary are generic over [`Float`]; the kernel
//! itself is one macro, `kernel!`, compiled four times: for AVX-512F and for AVX2 + FMA
//! (`avx512!`, `avx2!`), each over `f32` and `f64` vectors.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayBase, ArrayView2, ArrayViewMut2, Ix2, LinalgScalar, RawData};

use super::cpu::{has_avx2_fma, has_avx512, simd};
use crate::kernels::simd::Simd;

/// The code that computes a product. It is chosen once for a whole product, so every block of a
/// split product is computed alike.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kernel {
    /// matrixmultiply, through `ndarray`.
    Library,
    /// This module's kernel on the operands as they are.
    Direct(Isa),
    /// For a `b` that is a transposed row-major matrix, such as a weight in `g·wᵀ`: this module's
    /// kernel computes `cᵀ = bᵀ·aᵀ`, whose operands have contiguous rows once `aᵀ` is copied,
    /// and the result is transposed back.
    Transposed(Isa),
}

/// The vector instructions a kernel of this module runs on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Isa {
    /// AVX-512F: 16 `f32` or 8 `f64` lanes, 32 registers.
    Avx512,
    /// AVX2 and FMA: 8 `f32` or 4 `f64` lanes, 16 registers.
    Avx2,
}

/// `kernel!`'s `product` compiled for one instruction set and element type: `c = a·b + beta·c`.
/// Calling it is safe when the CPU has the instruction set, `a` is `(m, k)`, `b` `(k, n)` and `c`
/// `(m, n)`, and rows of `b` and `c` are contiguous (`Isa::product` checks all of it).
type Entry<T> = unsafe fn(ArrayView2<'_, T>, ArrayView2<'_, T>, T, ArrayViewMut2<'_, T>);

/// An element type the kernel is compiled for: `f32` or `f64`.
pub(crate) trait Float: LinalgScalar + Send + Sync {
    /// The kernel for AVX-512F.
    const AVX512: Entry<Self>;
    /// The kernel for AVX2 and FMA.
    const AVX2: Entry<Self>;
}

impl Float for f32 {
    const AVX512: Entry<f32> = avx512_f32::product;
    const AVX2: Entry<f32> = avx2_f32::product;
}

impl Float for f64 {
    const AVX512: Entry<f64> = avx512_f64::product;
    const AVX2: Entry<f64> = avx2_f64::product;
}

impl Kernel {
    /// The fastest kernel for `c = a·b` on this CPU.
    pub(crate) fn choose<T>(a: &ArrayView2<T>, b: &ArrayView2<T>, c: &ArrayViewMut2<T>) -> Self {
        let isa = match simd() {
            Simd::Avx512 => Isa::Avx512,
            Simd::Avx2 => Isa::Avx2,
            Simd::Baseline => return Kernel::Library,
        };
        let (m, k) = a.dim();
        if !contiguous_rows(c) {
            Kernel::Library
        } else if m.min(k) <= SHORT_SIDE && contiguous_rows(b) {
            Kernel::Direct(isa)
        } else if m <= SHORT_SIDE && k > SHORT_SIDE && contiguous_rows(&b.t()) {
            Kernel::Transposed(isa)
        } else {
            Kernel::Library
        }
    }

    /// `c = a·b + beta·c` with this kernel, chosen for these operands or for a product they are
    /// blocks of.
    ///
    /// # Panics
    /// When the shapes do not fit `(m, k)·(k, n) = (m, n)`, or (for this module's kernels) rows
    /// of `b` and `c` are not contiguous or the CPU lacks the instructions.
    pub(crate) fn product<T: Float>(
        self,
        a: ArrayView2<T>,
        b: ArrayView2<T>,
        beta: T,
        mut c: ArrayViewMut2<T>,
    ) {
        match self {
            Kernel::Library => general_mat_mul(T::one(), &a, &b, beta, &mut c),
            Kernel::Direct(isa) => isa.product(a, b, beta, c),
            Kernel::Transposed(isa) => {
                let a_t = a.t().as_standard_layout().into_owned();
                let mut c_t = Array2::zeros((c.ncols(), c.nrows()));
                isa.product(b.t(), a_t.view(), T::zero(), c_t.view_mut());
                if beta.is_zero() {
                    c.assign(&c_t.t());
                } else {
                    c.zip_mut_with(&c_t.t(), |c, &p| *c = p + beta * *c);
                }
            }
        }
    }
}

impl Isa {
    /// `c = a·b + beta·c`: the boundary between safe code and the kernel, which checks everything
    /// the kernel relies on.
    ///
    /// # Panics
    /// When the shapes do not fit `(m, k)·(k, n) = (m, n)`, rows of `b` or `c` are not contiguous,
    /// or the CPU lacks the instructions.
    fn product<T: Float>(self, a: ArrayView2<T>, b: ArrayView2<T>, beta: T, c: ArrayViewMut2<T>) {
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
        match self {
            Isa::Avx512 => {
                assert!(has_avx512(), "this CPU lacks AVX-512F");
                // SAFETY: checked just above: the CPU has AVX-512F; `a` is (m, k), `b` is (k, n)
                // and `c` is (m, n), and rows of `b` and `c` are contiguous, all that
                // `T::AVX512` (`kernel!`'s `product`) asks. The views keep every element they
                // address in bounds.
                unsafe { (T::AVX512)(a, b, beta, c) }
            }
            Isa::Avx2 => {
                assert!(has_avx2_fma(), "this CPU lacks AVX2 and FMA");
                // SAFETY: checked just above: the CPU has AVX2 and FMA; the shapes fit and rows
                // of `b` and `c` are contiguous, all that `T::AVX2` asks.
                unsafe { (T::AVX2)(a, b, beta, c) }
            }
        }
    }
}

/// Products with `m` or `k` at most this are computed here, where packing would not pay off.
const SHORT_SIDE: usize = 64;

/// Whether the rows of `x` are contiguous (or too short for it to matter).
fn contiguous_rows<S: RawData>(x: &ArrayBase<S, Ix2>) -> bool {
    x.strides()[1] == 1 || x.ncols() <= 1 || x.is_empty()
}

/// The operands' first elements and row and column strides: `a` is `(m, k)` with any strides,
/// `b` is `(k, n)` and `c` is `(m, n)` with contiguous rows (`Isa::product` checked all of it).
#[derive(Clone, Copy)]
struct Operands<T> {
    a: *const T,
    a_rows: isize,
    a_cols: isize,
    b: *const T,
    b_rows: isize,
    c: *mut T,
    c_rows: isize,
    k: usize,
    beta: T,
}

/// The kernel, written once over a module's vector primitives (`Vector`, `LANES`, `zero`,
/// `splat`, `fmadd`, `add`, `mul`, `load`, `store`, `load_masked`, `store_masked`,
/// `first_lanes`) and compiled for its `$features`, for elements of type `$t`, with tiles of `MR`
/// rows by `NV` vectors (`tile: MR x NV`). `$rows` lists the tile heights below `MR` and
/// `$vectors` the panel widths below `NV`.
///
/// Safety rests on one invariant, passed down from `product` to `panel` to `tile`: every tile
/// `tile` is given lies inside `c`, and the same columns of `b` and rows of `a` lie inside
/// those operands, because `product` cuts `c` into panels of at most `NV·LANES` columns and
/// `panel` cuts a panel into tiles of at most `MR` rows. Lanes past a narrow panel's edge are
/// masked, and masked lanes are never read or written.
macro_rules! kernel {
    ($features:literal, $t:ty, tile: $mr:literal x $nv:literal, rows: [$($rows:literal)*],
     vectors: [$($vectors:literal)*]) => {
        use ndarray::{ArrayView2, ArrayViewMut2};

        type Operands = super::Operands<$t>;
        const MR: usize = $mr;
        const NV: usize = $nv;

        /// `c = a·b + beta·c`.
        ///
        /// # Safety
        /// The CPU must have `$features`; `a` must be `(m, k)`, `b` `(k, n)` and `c` `(m, n)`;
        /// rows of `b` and `c` must be contiguous (column stride 1, or a single column).
        #[target_feature(enable = $features)]
        pub(super) unsafe fn product(
            a: ArrayView2<$t>,
            b: ArrayView2<$t>,
            beta: $t,
            mut c: ArrayViewMut2<$t>,
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
                match width.div_ceil(LANES) {
                    // SAFETY: columns `j..j + width` lie inside `b` and `c` (`j < n`,
                    // `width ≤ n - j`), `width` needs exactly `$vectors` vectors, and the
                    // caller's promises about the CPU and the operands hold.
                    $($vectors => unsafe { panel::<$vectors>(ops, m, j, width) },)*
                    vectors => {
                        assert_eq!(vectors, NV, "a panel width without a kernel");
                        // SAFETY: as above, with `NV` vectors.
                        unsafe { panel::<NV>(ops, m, j, width) }
                    }
                }
            }
        }

        /// Columns `j..j + width` of `c`, one tile of `MR` rows at a time.
        ///
        /// # Safety
        /// `product`'s, and columns `j..j + width` lie inside `b` and `c`, with
        /// `(V - 1)·LANES < width ≤ V·LANES`.
        #[target_feature(enable = $features)]
        unsafe fn panel<const V: usize>(ops: Operands, m: usize, j: usize, width: usize) {
            let last = width - (V - 1) * LANES;
            for i in (0..m).step_by(MR) {
                let at = Operands {
                    a: ops.a.wrapping_offset(i as isize * ops.a_rows),
                    b: ops.b.wrapping_add(j),
                    c: ops.c.wrapping_offset(i as isize * ops.c_rows).wrapping_add(j),
                    ..ops
                };
                match (m - i).min(MR) {
                    // SAFETY: rows `i..i + $rows` lie inside `a` and `c` (`$rows ≤ m - i`), and
                    // the panel's columns inside `b` and `c` (the caller's promise); the last
                    // vector is `last` lanes wide, `1 ≤ last ≤ LANES`.
                    $($rows => unsafe { tile::<$rows, V>(at, last) },)*
                    rows => {
                        assert_eq!(rows, MR, "a tile height without a kernel");
                        // SAFETY: as above, with `MR` rows.
                        unsafe { tile::<MR, V>(at, last) }
                    }
                }
            }
        }

        /// `R` rows and `V` vectors of columns of `c`, the last vector `last` lanes wide.
        ///
        /// # Safety
        /// `product`'s, and `ops` points at a tile of `R` rows of `a` and `c` and
        /// `(V - 1)·LANES + last` columns of `b` and `c` that lie inside them, `1 ≤ last ≤ LANES`.
        #[target_feature(enable = $features)]
        #[inline]
        unsafe fn tile<const R: usize, const V: usize>(ops: Operands, last: usize) {
            let mask = first_lanes(last);
            let masked = |v: usize| v + 1 == V && last < LANES;
            let mut sum = [[zero(); V]; R];
            for p in 0..ops.k {
                let b_row = ops.b.wrapping_offset(p as isize * ops.b_rows);
                let b: [Vector; V] = std::array::from_fn(|v| {
                    let at = b_row.wrapping_add(v * LANES);
                    if masked(v) {
                        // SAFETY: the first `last` lanes at `at` are row `p` of the tile's
                        // columns of `b`, which lie inside `b`; the rest are masked off.
                        unsafe { load_masked(at, mask) }
                    } else {
                        // SAFETY: the `LANES` lanes at `at` are row `p` of the tile's columns of
                        // `b`, contiguous and inside `b`.
                        unsafe { load(at) }
                    }
                });
                for (r, sum) in sum.iter_mut().enumerate() {
                    let at = ops.a.wrapping_offset(r as isize * ops.a_rows + p as isize * ops.a_cols);
                    // SAFETY: element `(r, p)` of the tile's rows, `r < R` and `p < k`, lies
                    // inside `a`.
                    let a = splat(unsafe { *at });
                    for (sum, b) in sum.iter_mut().zip(b) {
                        *sum = fmadd(a, b, *sum);
                    }
                }
            }
            let beta = splat(ops.beta);
            for (r, sum) in sum.iter().enumerate() {
                let c_row = ops.c.wrapping_offset(r as isize * ops.c_rows);
                for (v, &sum) in sum.iter().enumerate() {
                    let c = c_row.wrapping_add(v * LANES);
                    if masked(v) {
                        let out = if ops.beta == 0.0 {
                            sum
                        } else {
                            // SAFETY: the first `last` lanes at `c` are in row `r` of the tile in
                            // `c`; the rest are masked off.
                            add(sum, mul(beta, unsafe { load_masked(c, mask) }))
                        };
                        // SAFETY: as for the load just above.
                        unsafe { store_masked(c, mask, out) }
                    } else {
                        let out = if ops.beta == 0.0 {
                            sum
                        } else {
                            // SAFETY: the `LANES` lanes at `c` are contiguous in row `r` of the
                            // tile in `c`.
                            add(sum, mul(beta, unsafe { load(c) }))
                        };
                        // SAFETY: as for the load just above.
                        unsafe { store(c, out) }
                    }
                }
            }
        }
    };
}

/// A module's vector type of `LANES` lanes and the primitives the kernel uses, each compiled for
/// `$features`: `zero`, `splat`, `fmadd`, `add`, `mul`, and unaligned `load` and `store`, which
/// map one to one onto an intrinsic, and the masked load and store, given as the intrinsic's call
/// (the instruction sets take their operands in different orders).
macro_rules! primitives {
    ($features:literal, $t:ty, $vector:ty, lanes: $lanes:literal, mask: $mask:ty,
     zero: $zero:ident, splat: $splat:ident, fmadd: $fmadd:ident, add: $add:ident,
     mul: $mul:ident, load: $load:ident, store: $store:ident,
     load_masked: |$lp:ident, $lm:ident| $load_masked:expr,
     store_masked: |$sp:ident, $sm:ident, $sv:ident| $store_masked:expr) => {
        type Vector = $vector;
        const LANES: usize = $lanes;

        #[target_feature(enable = $features)]
        #[inline]
        fn zero() -> Vector {
            $zero()
        }
        #[target_feature(enable = $features)]
        #[inline]
        fn splat(x: $t) -> Vector {
            $splat(x)
        }
        #[target_feature(enable = $features)]
        #[inline]
        fn fmadd(a: Vector, b: Vector, c: Vector) -> Vector {
            $fmadd(a, b, c)
        }
        #[target_feature(enable = $features)]
        #[inline]
        fn add(a: Vector, b: Vector) -> Vector {
            $add(a, b)
        }
        #[target_feature(enable = $features)]
        #[inline]
        fn mul(a: Vector, b: Vector) -> Vector {
            $mul(a, b)
        }
        /// # Safety
        /// `LANES` floats from `p` on must be readable.
        #[target_feature(enable = $features)]
        #[inline]
        unsafe fn load(p: *const $t) -> Vector {
            // SAFETY: the caller's promise is the intrinsic's requirement (unaligned is allowed).
            unsafe { $load(p) }
        }
        /// # Safety
        /// `LANES` floats from `p` on must be writable.
        #[target_feature(enable = $features)]
        #[inline]
        unsafe fn store(p: *mut $t, v: Vector) {
            // SAFETY: the caller's promise is the intrinsic's requirement (unaligned is allowed).
            unsafe { $store(p, v) }
        }
        /// # Safety
        /// The lanes of `mask` from `p` on must be readable.
        #[target_feature(enable = $features)]
        #[inline]
        unsafe fn load_masked($lp: *const $t, $lm: $mask) -> Vector {
            // SAFETY: the caller's promise; masked-off lanes are not read and cannot fault.
            unsafe { $load_masked }
        }
        /// # Safety
        /// The lanes of `mask` from `p` on must be writable.
        #[target_feature(enable = $features)]
        #[inline]
        unsafe fn store_masked($sp: *mut $t, $sm: $mask, $sv: Vector) {
            // SAFETY: the caller's promise; masked-off lanes are not written and cannot fault.
            unsafe { $store_masked }
        }
    };
}

/// `kernel!` for AVX-512F over elements `$t` in vectors `$vector` of `$lanes` lanes, with lane
/// masks `$mask` and the intrinsics for that type (`zero`, `splat`, `fmadd`, `add`, `mul`,
/// `load`, `store`, then the masked load and store). A tile is 8 rows by 3 vectors: 24
/// accumulators, 3 vectors of a row of `b` and a broadcast of `a` in 32 registers.
macro_rules! avx512 {
    ($t:ty, $vector:ty, mask: $mask:ty, lanes: $lanes:literal, zero: $zero:ident,
     splat: $splat:ident, fmadd: $fmadd:ident, add: $add:ident, mul: $mul:ident,
     load: $load:ident, store: $store:ident, load_masked: $load_masked:ident,
     store_masked: $store_masked:ident) => {
        use std::arch::x86_64::*;

        primitives!("avx512f", $t, $vector, lanes: $lanes, mask: $mask, zero: $zero,
            splat: $splat, fmadd: $fmadd, add: $add, mul: $mul, load: $load, store: $store,
            load_masked: |p, mask| $load_masked(mask, p),
            store_masked: |p, mask, v| $store_masked(p, mask, v));

        /// The first `n` lanes, `1 ≤ n ≤ LANES`.
        #[target_feature(enable = "avx512f")]
        #[inline]
        fn first_lanes(n: usize) -> $mask {
            (u32::MAX >> (32 - n)) as $mask
        }

        kernel!("avx512f", $t, tile: 8 x 3, rows: [1 2 3 4 5 6 7], vectors: [1 2]);
    };
}

/// `kernel!` for AVX2 and FMA, as `avx512!` (a lane mask is a vector whose lanes have all bits
/// set or none). A tile is 6 rows by 2 vectors: 12 accumulators, 2 vectors of a row of `b` and a
/// broadcast of `a` in 16 registers.
macro_rules! avx2 {
    ($t:ty, $vector:ty, lanes: $lanes:literal, zero: $zero:ident, splat: $splat:ident,
     fmadd: $fmadd:ident, add: $add:ident, mul: $mul:ident, load: $load:ident,
     store: $store:ident, load_masked: $load_masked:ident, store_masked: $store_masked:ident) => {
        use std::arch::x86_64::*;

        primitives!("avx2,fma", $t, $vector, lanes: $lanes, mask: __m256i, zero: $zero,
            splat: $splat, fmadd: $fmadd, add: $add, mul: $mul, load: $load, store: $store,
            load_masked: |p, mask| $load_masked(p, mask),
            store_masked: |p, mask, v| $store_masked(p, mask, v));

        /// The first `n` lanes, `1 ≤ n ≤ LANES`: every bit set in their 32-bit words, the first
        /// `n·8/LANES` of the vector's eight.
        #[target_feature(enable = "avx2,fma")]
        #[inline]
        fn first_lanes(n: usize) -> __m256i {
            _mm256_cmpgt_epi32(
                _mm256_set1_epi32((n * 8 / LANES) as i32),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            )
        }

        kernel!("avx2,fma", $t, tile: 6 x 2, rows: [1 2 3 4 5], vectors: [1]);
    };
}

mod avx512_f32 {
    avx512!(f32, __m512, mask: __mmask16, lanes: 16, zero: _mm512_setzero_ps,
        splat: _mm512_set1_ps, fmadd: _mm512_fmadd_ps, add: _mm512_add_ps, mul: _mm512_mul_ps,
        load: _mm512_loadu_ps, store: _mm512_storeu_ps, load_masked: _mm512_maskz_loadu_ps,
        store_masked: _mm512_mask_storeu_ps);
}

mod avx512_f64 {
    avx512!(f64, __m512d, mask: __mmask8, lanes: 8, zero: _mm512_setzero_pd,
        splat: _mm512_set1_pd, fmadd: _mm512_fmadd_pd, add: _mm512_add_pd, mul: _mm512_mul_pd,
        load: _mm512_loadu_pd, store: _mm512_storeu_pd, load_masked: _mm512_maskz_loadu_pd,
        store_masked: _mm512_mask_storeu_pd);
}

mod avx2_f32 {
    avx2!(f32, __m256, lanes: 8, zero: _mm256_setzero_ps, splat: _mm256_set1_ps,
        fmadd: _mm256_fmadd_ps, add: _mm256_add_ps, mul: _mm256_mul_ps, load: _mm256_loadu_ps,
        store: _mm256_storeu_ps, load_masked: _mm256_maskload_ps,
        store_masked: _mm256_maskstore_ps);
}

mod avx2_f64 {
    avx2!(f64, __m256d, lanes: 4, zero: _mm256_setzero_pd, splat: _mm256_set1_pd,
        fmadd: _mm256_fmadd_pd, add: _mm256_add_pd, mul: _mm256_mul_pd, load: _mm256_loadu_pd,
        store: _mm256_storeu_pd, load_masked: _mm256_maskload_pd,
        store_masked: _mm256_maskstore_pd);
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use ndarray::{Array2, s};

    use super::*;
    use crate::kernels::element::Element;

    /// The instruction sets this CPU runs, the widest first. With neither, a test that loops
    /// over them checks nothing, and says so: libtest cannot mark a test skipped at run time.
    fn isas() -> Vec<Isa> {
        let mut isas = Vec::new();
        if has_avx512() {
            isas.push(Isa::Avx512);
        }
        if has_avx2_fma() {
            isas.push(Isa::Avx2);
        }
        if isas.is_empty() {
            let test = std::thread::current().name().unwrap_or("a test").to_owned();
            // To stderr itself: libtest would capture `eprintln!` and show it only on a failure.
            let _ = writeln!(
                std::io::stderr(),
                "skipped: {test}: this CPU has neither AVX-512F nor AVX2 and FMA, the short-side \
                 kernel's instructions, so it checks nothing here"
            );
        }
        isas
    }

    /// `c = a·b + beta·c` with the kernel [`Kernel::choose`] picks, run on `isa`; whether it is
    /// this module's.
    fn try_product<T: Float>(
        isa: Isa,
        a: ArrayView2<T>,
        b: ArrayView2<T>,
        beta: T,
        c: &mut ArrayViewMut2<T>,
    ) -> bool {
        let kernel = match Kernel::choose(&a, &b, c) {
            Kernel::Library => Kernel::Library,
            Kernel::Direct(_) => Kernel::Direct(isa),
            Kernel::Transposed(_) => Kernel::Transposed(isa),
        };
        kernel.product(a, b, beta, c.view_mut());
        kernel != Kernel::Library
    }

    fn matrix<T: Element>(rows: usize, cols: usize, seed: usize) -> Array2<T> {
        Array2::from_shape_fn((rows, cols), |(i, j)| {
            let x = (((i * 31 + j * 17 + seed * 7) % 23) as f64 - 11.0) * 0.37;
            T::from_f64(x + 1e-9 * (i + j) as f64)
        })
    }

    /// `a·b + beta·c` in `f64`, and a bound on the rounding error of any order of summation:
    /// `tolerance` times `|a|·|b| + 1`.
    fn reference<T: Element>(
        a: &Array2<T>,
        b: &Array2<T>,
        beta: T,
        c: &Array2<T>,
        tolerance: f64,
    ) -> [Array2<f64>; 2] {
        let wide = |x: &Array2<T>| x.mapv(Element::to_f64);
        let (a, b) = (wide(a), wide(b));
        let exact = a.dot(&b) + wide(c) * Element::to_f64(beta);
        let bound = (a.abs().dot(&b.abs()) + 1.0) * tolerance;
        [exact, bound]
    }

    #[test]
    fn products_match_an_f64_reference_at_every_edge_and_layout() {
        for isa in isas() {
            products_match_an_f64_reference_on::<f32>(isa, 1e-5);
            products_match_an_f64_reference_on::<f64>(isa, 1e-13);
        }
    }

    /// Every edge of a tile and a panel for `f32` and `f64` lanes on either instruction set.
    fn products_match_an_f64_reference_on<T: Float + Element>(isa: Isa, tolerance: f64) {
        let mut checked = 0;
        for m in [1, 2, 7, 8, 9, 17, 32, 33, 64] {
            for k in [0, 1, 5, 64, 65, 100] {
                for n in [1, 7, 8, 9, 10, 16, 17, 23, 24, 25, 47, 48, 49, 130] {
                    for (b_transposed, beta) in [(false, 0.0), (false, 1.0), (true, 0.5)] {
                        let beta = T::from_f64(beta);
                        let a = matrix::<T>(m, k, 1);
                        let b = if b_transposed {
                            matrix(n, k, 2).reversed_axes()
                        } else {
                            matrix(k, n, 2)
                        };
                        // `c` is a block of a wider matrix, so its rows are not adjacent.
                        let mut wide = matrix(m, n + 3, 3);
                        let c_before = wide.slice(s![.., 1..n + 1]).to_owned();
                        let [exact, bound] = reference(&a, &b, beta, &c_before, tolerance);
                        let mut c = wide.slice_mut(s![.., 1..n + 1]);
                        let done = try_product(isa, a.view(), b.view(), beta, &mut c);
                        // Every product here has a short side; with `b` transposed, only long
                        // ones pay for the transposing.
                        if !b_transposed || k > SHORT_SIDE {
                            assert!(done, "{isa:?} {m}x{k}x{n}, b transposed: {b_transposed}");
                        }
                        if !done {
                            continue;
                        }
                        checked += 1;
                        for ((got, exact), bound) in c.iter().zip(&exact).zip(&bound) {
                            let error = (Element::to_f64(*got) - exact).abs();
                            assert!(
                                error <= *bound,
                                "{isa:?} {m}x{k}x{n}, b transposed: {b_transposed}: {got} against {exact}"
                            );
                        }
                        let untouched = matrix::<T>(m, n + 3, 3);
                        assert_eq!(wide.column(0), untouched.column(0), "left of c");
                        assert_eq!(
                            wide.slice(s![.., n + 1..]),
                            untouched.slice(s![.., n + 1..]),
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
        fn check<T: Float + Element>(isa: Isa) {
            let (a, b) = (matrix::<T>(32, 20, 1), matrix(20, 40, 2));
            let mut c = Array2::from_elem((32, 40), T::nan());
            assert!(try_product(
                isa,
                a.view(),
                b.view(),
                T::zero(),
                &mut c.view_mut()
            ));
            assert!(c.iter().all(|x| x.is_finite()), "{isa:?}");
        }
        for isa in isas() {
            check::<f32>(isa);
            check::<f64>(isa);
        }
    }

    #[test]
    fn a_strided_lhs_reads_the_same_elements() {
        fn check<T: Float + Element>(isa: Isa) {
            let (a, b) = (matrix::<T>(40, 30, 1), matrix(20, 50, 2));
            let a_view = a.slice(s![..;2, 5..25]);
            let a_t = a_view.t().to_owned();
            let product = |a: ArrayView2<T>| {
                let mut c = Array2::zeros((20, 50));
                assert!(try_product(isa, a, b.view(), T::zero(), &mut c.view_mut()));
                c
            };
            let packed = product(a_view.to_owned().view());
            assert_eq!(product(a_view), packed, "{isa:?}, strided");
            assert_eq!(product(a_t.t()), packed, "{isa:?}, transposed");
        }
        for isa in isas() {
            check::<f32>(isa);
            check::<f64>(isa);
        }
    }

    #[test]
    fn both_instruction_sets_compute_the_same_bits() {
        fn check<T: Float + Element>() {
            let (a, b) = (matrix::<T>(33, 70, 1), matrix(70, 77, 2));
            let products: Vec<_> = isas()
                .into_iter()
                .map(|isa| {
                    let mut c = matrix(33, 77, 3);
                    assert!(try_product(
                        isa,
                        a.view(),
                        b.view(),
                        T::one(),
                        &mut c.view_mut()
                    ));
                    c
                })
                .collect();
            assert!(products.windows(2).all(|w| w[0] == w[1]));
        }
        check::<f32>();
        check::<f64>();
    }
}

//! The matrix product that [`Tensor::matmul`](crate::Tensor::matmul) and its gradients use,
//! split into column (or row) blocks of the result over
//! [`set_num_threads`](crate::set_num_threads) threads.
//!
//! `f32` and `f64` products with a short side (such as a batch of 32 rows) run a kernel of this
//! crate on CPUs with AVX-512 or AVX2 + FMA, which reads the operands in place (both give the
//! same bits); the rest run matrixmultiply through `ndarray`. The kernel is chosen once per
//! product, and each block computes its elements exactly as the whole product would, so the
//! result does not depend on the thread count. Operands may be any views, transposed ones
//! included.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis, s};

use super::element::Element;
use super::platform::{Float, Kernel};
use super::pool::{parts_for, run_each};
use super::sealed::{Private, Product};

/// Below this many multiply-adds per thread, splitting costs more than it saves.
const MIN_WORK_PER_THREAD: usize = 16 * 1024;

/// Blocks are a multiple of this many rows or columns wide, whole GEMM kernel tiles.
const BLOCK_ALIGN: usize = 16;

/// `a·b` as a new row-major matrix.
///
/// ```
/// use ndarray::array;
/// let a = array![[1.0f32, 2.0], [3.0, 4.0]];
/// assert_eq!(ferrograd::kernels::matmul(a.view(), a.t()), array![[5.0, 11.0], [11.0, 25.0]]);
/// ```
///
/// # Panics
/// When the inner sizes differ, with both shapes in the message.
#[track_caller]
pub fn matmul<T: Element>(a: ArrayView2<T>, b: ArrayView2<T>) -> Array2<T> {
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    matmul_into(a, b, T::zero(), c.view_mut());
    c
}

/// `c = a·b + beta·c`, written in place.
///
/// ```
/// use ndarray::array;
/// let mut c = array![[1.0f64]];
/// ferrograd::kernels::matmul_into(array![[2.0]].view(), array![[3.0]].view(), 1.0, c.view_mut());
/// assert_eq!(c[[0, 0]], 7.0);
/// ```
///
/// # Panics
/// When the shapes do not fit `(m, k)·(k, n) = (m, n)`, with the three shapes in the message.
#[track_caller]
pub fn matmul_into<T: Element>(a: ArrayView2<T>, b: ArrayView2<T>, beta: T, c: ArrayViewMut2<T>) {
    assert!(
        a.ncols() == b.nrows() && a.nrows() == c.nrows() && b.ncols() == c.ncols(),
        "matrix product shapes do not fit: {:?}·{:?} into {:?}",
        a.shape(),
        b.shape(),
        c.shape()
    );
    match T::product(a, b, beta, c, Private::new()) {
        Product::F32(a, b, beta, c) => product(a, b, beta, c),
        Product::F64(a, b, beta, c) => product(a, b, beta, c),
    }
}

/// `c = a·b + beta·c` with one kernel, chosen for the whole product, on every block.
fn product<T: Float>(a: ArrayView2<T>, b: ArrayView2<T>, beta: T, c: ArrayViewMut2<T>) {
    let kernel = Kernel::choose(&a, &b, &c);
    split(a, b, c, |a, b, c| kernel.product(a, b, beta, c));
}

/// Runs `block` on column (or row) blocks of `c` and the matching parts of `a` and `b`, over
/// the pool's threads when the product is large enough to pay for it.
fn split<T: Float>(
    a: ArrayView2<T>,
    b: ArrayView2<T>,
    mut c: ArrayViewMut2<T>,
    block: impl Fn(ArrayView2<T>, ArrayView2<T>, ArrayViewMut2<T>) + Sync,
) {
    let (m, n) = c.dim();
    let work = m * n * a.ncols();
    let by_columns = n >= m;
    let width = if by_columns { n } else { m };
    let parts = parts_for(work, MIN_WORK_PER_THREAD)
        .min(width / BLOCK_ALIGN)
        .max(1);
    let size = width.div_ceil(parts).next_multiple_of(BLOCK_ALIGN).max(1);
    let axis = if by_columns { Axis(1) } else { Axis(0) };
    let blocks: Vec<_> = c
        .axis_chunks_iter_mut(axis, size)
        .enumerate()
        .map(|(i, c)| {
            let range = i * size..i * size + c.len_of(axis);
            let (a, b) = if by_columns {
                (a, b.slice_move(s![.., range]))
            } else {
                (a.slice_move(s![range, ..]), b)
            };
            (a, b, c)
        })
        .collect();
    run_each(blocks, work, |(a, b, c)| block(a, b, c));
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn matrix(rows: usize, cols: usize, seed: usize) -> Array2<f32> {
        Array2::from_shape_fn((rows, cols), |(i, j)| {
            (((i * 31 + j * 17 + seed * 7) % 23) as f32 - 11.0) * 0.37
        })
    }

    #[test]
    fn split_products_equal_the_whole_product_bit_for_bit() {
        // Under Miri, which interprets every step, shapes just past the split threshold.
        let shapes: &[_] = if cfg!(miri) {
            &[(33, 32, 40), (40, 32, 33)]
        } else {
            &[
                (32, 784, 256),
                (784, 32, 256),
                (256, 32, 10),
                (33, 257, 129),
                (200, 3, 1),
            ]
        };
        for &(m, k, n) in shapes {
            let (a, b) = (matrix(m, k, 1), matrix(k, n, 2));
            let (at, bt) = (matrix(k, m, 3), matrix(n, k, 5));
            let products = |threads| {
                super::super::pool::set_num_threads(threads);
                let mut accumulated = matrix(m, n, 4);
                matmul_into(at.t(), b.view(), 1.0, accumulated.view_mut());
                [
                    accumulated,
                    matmul(a.view(), bt.t()),
                    matmul(a.view(), b.view()),
                ]
            };
            assert_eq!(products(1), products(4), "{m}x{k}x{n}");
        }
    }

    #[test]
    fn f64_products_equal_ndarrays_to_rounding_and_do_not_depend_on_the_thread_count() {
        let (m, k, n) = if cfg!(miri) {
            (33, 32, 40)
        } else {
            (33, 257, 129)
        };
        let (a, b) = (
            matrix(m, k, 1).mapv(f64::from),
            matrix(k, n, 2).mapv(f64::from),
        );
        let expected = a.dot(&b);
        let bound = a.abs().dot(&b.abs()) * 1e-14;
        let products = |threads| {
            super::super::pool::set_num_threads(threads);
            [matmul(a.view(), b.view()), matmul(b.t(), a.t())]
        };
        let [product, transposed] = products(1);
        for ((got, expected), bound) in product.iter().zip(&expected).zip(&bound) {
            assert!((got - expected).abs() <= *bound, "{got} against {expected}");
        }
        assert_eq!(transposed.t(), product.view());
        assert_eq!(products(1), products(4));
    }
}

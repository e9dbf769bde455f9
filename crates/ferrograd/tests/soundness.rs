//! Safe code cannot reach the matrix kernels with operands they cannot take (issue 13): the
//! internal entry points do not compile from outside the crate, and every public entry that
//! leads to a kernel checks shapes (panicking with them) and computes the right product for
//! every layout a view can have: transposed, strided, reversed, broadcast, sliced.

use std::panic::{AssertUnwindSafe, catch_unwind};

use ferrograd::kernels::{matmul, matmul_into};
use ferrograd::{Element, Tensor};
use ndarray::{Array2, ArrayView2, ArrayViewMut2, s};
use proptest::prelude::*;

#[test]
fn internal_kernel_entries_do_not_compile_outside_the_crate() {
    trybuild::TestCases::new().compile_fail("tests/soundness/*.rs");
}

/// The message `f` panics with.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .expect("a string message")
}

#[test]
fn the_issue_s_operands_panic_with_their_shapes_and_leave_c_alone() {
    let a = Array2::<f32>::ones((32, 1_000_000));
    let b = Array2::<f32>::ones((8, 48));
    let mut c = Array2::<f32>::from_elem((8, 48), 7.0);
    let message = panic_message(|| matmul_into(a.view(), b.view(), 0.0, c.view_mut()));
    assert!(
        message.contains("[32, 1000000]") && message.contains("[8, 48]"),
        "{message}"
    );
    assert!(c.iter().all(|&x| x == 7.0));
    let message = panic_message(|| {
        matmul(a.view(), b.view());
    });
    assert!(
        message.contains("[32, 1000000]") && message.contains("[8, 48]"),
        "{message}"
    );
}

#[test]
fn every_misfit_of_three_shapes_panics_naming_them() {
    let cases = [
        ((8, 5), (4, 48), (8, 48)),       // inner sizes differ
        ((8, 5), (5, 48), (9, 48)),       // c has too many rows
        ((8, 5), (5, 48), (8, 47)),       // c has too few columns
        ((33, 100), (100, 10), (10, 33)), // c transposed
        ((1, 0), (0, 1), (0, 0)),         // empty, and still a misfit
    ];
    for (a, b, c) in cases {
        let (a, b) = (Array2::<f32>::ones(a), Array2::<f32>::ones(b));
        let mut c = Array2::<f32>::zeros(c);
        let message = panic_message(|| matmul_into(a.view(), b.view(), 1.0, c.view_mut()));
        for shape in [a.shape(), b.shape(), c.shape()] {
            assert!(message.contains(&format!("{shape:?}")), "{message}");
        }
        let (a, b) = (a.mapv(f64::from), b.mapv(f64::from));
        let mut c = c.mapv(f64::from);
        let message = panic_message(|| matmul_into(a.view(), b.view(), 1.0, c.view_mut()));
        assert!(message.contains("do not fit"), "{message}");
    }
}

/// How a test lays out an `(rows, cols)` operand in memory.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// Row-major and contiguous.
    Standard,
    /// The transpose of a row-major `(cols, rows)` matrix.
    Transposed,
    /// Every other row and column of a matrix twice the size.
    Strided,
    /// Rows and columns in reverse order (negative strides).
    Reversed,
    /// A block in the middle of a wider matrix (rows not adjacent).
    Inner,
}

const LAYOUTS: [Layout; 5] = [
    Layout::Standard,
    Layout::Transposed,
    Layout::Strided,
    Layout::Reversed,
    Layout::Inner,
];

/// The values of the test matrix `seed` at `(i, j)`: small integers, so products are exact.
fn value<T: Element>(i: usize, j: usize, seed: usize) -> T {
    T::from_f64(((i * 7 + j * 3 + seed * 5) % 11) as f64 - 5.0)
}

/// Storage holding an `(rows, cols)` matrix of `value(_, _, seed)` in `layout`, and the view of
/// it; the storage is returned so that a mutable view can be taken of it.
struct Laid<T = f32> {
    storage: Array2<T>,
    layout: Layout,
    rows: usize,
    cols: usize,
}

impl<T: Element> Laid<T> {
    fn new(rows: usize, cols: usize, seed: usize, layout: Layout) -> Laid<T> {
        let nan = T::from_f64(f64::NAN);
        let storage = match layout {
            Layout::Standard => Array2::from_shape_fn((rows, cols), |(i, j)| value(i, j, seed)),
            Layout::Transposed => Array2::from_shape_fn((cols, rows), |(j, i)| value(i, j, seed)),
            Layout::Strided => Array2::from_shape_fn((2 * rows, 2 * cols), |(i, j)| {
                if i % 2 == 0 && j % 2 == 0 {
                    value(i / 2, j / 2, seed)
                } else {
                    nan
                }
            }),
            Layout::Reversed => Array2::from_shape_fn((rows, cols), |(i, j)| {
                value(rows - 1 - i, cols - 1 - j, seed)
            }),
            Layout::Inner => Array2::from_shape_fn((rows + 2, cols + 3), |(i, j)| {
                if (1..=rows).contains(&i) && (2..cols + 2).contains(&j) {
                    value(i - 1, j - 2, seed)
                } else {
                    nan
                }
            }),
        };
        Laid {
            storage,
            layout,
            rows,
            cols,
        }
    }

    fn view(&self) -> ArrayView2<'_, T> {
        let (rows, cols) = (self.rows, self.cols);
        match self.layout {
            Layout::Standard => self.storage.view(),
            Layout::Transposed => self.storage.t(),
            Layout::Strided => self.storage.slice(s![..;2, ..;2]),
            Layout::Reversed => self.storage.slice(s![..;-1, ..;-1]),
            Layout::Inner => self.storage.slice(s![1..rows + 1, 2..cols + 2]),
        }
    }

    fn view_mut(&mut self) -> ArrayViewMut2<'_, T> {
        let (rows, cols) = (self.rows, self.cols);
        match self.layout {
            Layout::Standard => self.storage.view_mut(),
            Layout::Transposed => self.storage.view_mut().reversed_axes(),
            Layout::Strided => self.storage.slice_mut(s![..;2, ..;2]),
            Layout::Reversed => self.storage.slice_mut(s![..;-1, ..;-1]),
            Layout::Inner => self.storage.slice_mut(s![1..rows + 1, 2..cols + 2]),
        }
    }
}

/// `c = a·b + beta·c` through the public entry, in `f32` or `f64` (each has kernels of its own),
/// for the three operands laid out as given, against the same product on standard copies in
/// `f64` (exact: small integers); the storage around `c` must keep its NaNs.
fn check_layouts<T: Element>(m: usize, k: usize, n: usize, layouts: [Layout; 3], beta: f64) {
    let a = Laid::<T>::new(m, k, 1, layouts[0]);
    let b = Laid::<T>::new(k, n, 2, layouts[1]);
    let mut c = Laid::<T>::new(m, n, 3, layouts[2]);
    let wide = |x: ArrayView2<T>| x.mapv(Element::to_f64);
    let expected = wide(a.view()).dot(&wide(b.view())) + wide(c.view()) * beta;
    let is_nan = |x: &&T| x.is_nan();
    let outside_before = c.storage.iter().filter(is_nan).count();
    matmul_into(a.view(), b.view(), T::from_f64(beta), c.view_mut());
    let got = wide(c.view());
    assert_eq!(got, expected, "{m}x{k}x{n} {layouts:?} beta {beta}");
    let outside_after = c.storage.iter().filter(is_nan).count();
    assert_eq!(
        outside_after, outside_before,
        "{m}x{k}x{n} {layouts:?}: wrote outside c"
    );
}

#[test]
fn every_layout_of_every_operand_gives_the_exact_product() {
    // Short sides (the kernels of this crate), long ones (matrixmultiply), tile edges and
    // empty products.
    for (m, k, n) in [
        (32, 20, 48),
        (8, 70, 17),
        (65, 9, 130),
        (3, 100, 1),
        (1, 0, 5),
        (0, 4, 4),
    ] {
        for la in LAYOUTS {
            for lb in LAYOUTS {
                for lc in LAYOUTS {
                    for beta in [0.0, 1.0] {
                        check_layouts::<f32>(m, k, n, [la, lb, lc], beta);
                        check_layouts::<f64>(m, k, n, [la, lb, lc], beta);
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn random_shapes_and_layouts_give_the_exact_product(
        m in 0usize..80, k in 0usize..80, n in 0usize..140,
        layouts in prop::array::uniform3(0usize..LAYOUTS.len()),
        beta in prop::sample::select(vec![0.0, 1.0, -2.0]),
        double in prop::bool::ANY,
    ) {
        if double {
            check_layouts::<f64>(m, k, n, layouts.map(|i| LAYOUTS[i]), beta);
        } else {
            check_layouts::<f32>(m, k, n, layouts.map(|i| LAYOUTS[i]), beta);
        }
    }
}

#[test]
fn tensors_of_any_layout_multiply_and_differentiate_like_standard_ones() {
    for (m, k, n) in [(32, 784, 256), (32, 20, 10), (70, 3, 5)] {
        for la in LAYOUTS {
            for lb in LAYOUTS {
                let (a, b) = (Laid::new(m, k, 1, la), Laid::new(k, n, 2, lb));
                let run = |a: Array2<f32>, b: Array2<f32>| {
                    let (a, b) = (
                        Tensor::from_array(a).requires_grad(),
                        Tensor::from_array(b).requires_grad(),
                    );
                    let bias = Tensor::<f32>::ones(&[1, n]).requires_grad();
                    let y = a.matmul_add(&b, &bias) + a.matmul(&b);
                    (&y * &y).sum_all().backward();
                    [
                        y.to_array(),
                        a.grad().unwrap(),
                        b.grad().unwrap(),
                        bias.grad().unwrap(),
                    ]
                };
                // `to_owned` of a view keeps a layout like the view's where it can (transposed,
                // reversed); `as_standard_layout` makes a row-major copy.
                let odd = run(a.view().to_owned(), b.view().to_owned());
                let standard = run(
                    a.view().as_standard_layout().into_owned(),
                    b.view().as_standard_layout().into_owned(),
                );
                for (odd, standard) in odd.iter().zip(&standard) {
                    let scale = standard.iter().fold(1.0f32, |s, x| s.max(x.abs()));
                    let error = odd
                        .iter()
                        .zip(standard)
                        .fold(0.0f32, |e, (x, y)| e.max((x - y).abs()));
                    assert!(
                        error <= scale * 1e-5,
                        "{m}x{k}x{n} {la:?} {lb:?}: {error} of {scale}"
                    );
                }
            }
        }
    }
}

#[test]
fn tensor_products_of_misfit_shapes_are_errors_naming_both() {
    let a = Tensor::<f32>::ones(&[32, 1_000_000]);
    let b = Tensor::<f32>::ones(&[8, 48]);
    let message = a.try_matmul(&b).unwrap_err().to_string();
    assert!(
        message.contains("[32, 1000000]") && message.contains("[8, 48]"),
        "{message}"
    );
    let message = panic_message(|| {
        a.matmul(&b);
    });
    assert!(
        message.contains("[32, 1000000]") && message.contains("[8, 48]"),
        "{message}"
    );
    let bias = Tensor::<f32>::ones(&[1, 48]);
    let message = a.try_matmul_add(&b, &bias).unwrap_err().to_string();
    assert!(
        message.contains("[32, 1000000]") && message.contains("[8, 48]"),
        "{message}"
    );
}

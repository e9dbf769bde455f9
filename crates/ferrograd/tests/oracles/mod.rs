//! What must hold whatever bytes the loaders and the tensor constructors are given: shared by
//! the proptest fuzzing of `fuzz_loaders.rs`, the libFuzzer targets of `fuzz/` (which include
//! this file and `common/mod.rs` by path) and the regression tests of `fuzz_regressions.rs`,
//! so a crash input found by one is checked by the same rules in the others.
//!
//! Every check panics when a rule is broken, and so does the code under test if it panics:
//! proptest, libFuzzer and `cargo test` all report a panic as a failure. The rules:
//! - the result is data or a typed error, never a panic or an abort;
//! - no load holds more heap than the file can back, plus [`SLACK`], and no shape program more
//!   than [`SHAPES_HEAP`] (counted and limited by `common::Counting`, which the binary must
//!   install as its global allocator: an allocation past the limit aborts the process);
//! - loaded data is consistent (sizes, labels below the class count), and an error names the
//!   file it is about;
//! - a tensor operation succeeds exactly when its shapes allow it, and then gives the shape and
//!   the elements it should, and gradients of the shapes of their leaves.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ferrograd::data::Dataset;
use ferrograd::nn::{Activation, CheckpointError, Mlp, load};
use ferrograd::{Tensor, TensorError, broadcast_shape};
use ndarray::Dimension;

use crate::common::{TempDir, idx_header, limited, peak_during};

/// Buffers, decoder state, paths and messages: what any load may hold besides the file's data.
pub const SLACK: usize = 256 * 1024;

/// The most bytes the file at `path` can stand for: its length, or, gzip-compressed, 1032 times
/// that (deflate's best ratio).
pub fn backing(path: &Path) -> usize {
    let len = std::fs::metadata(path).unwrap().len() as usize;
    if path.extension().is_some_and(|e| e == "gz") {
        len * 1032
    } else {
        len
    }
}

// ------------------------------------------------------------------ the IDX reader

/// A folder with a valid images file and a valid labels file (two 2×2 images) to pair with the
/// file under test.
pub struct IdxOracle {
    pub dir: TempDir,
    pub images: PathBuf,
    pub labels: PathBuf,
}

impl IdxOracle {
    pub fn new() -> Self {
        let dir = TempDir::new();
        let images = dir.write(
            "valid-images",
            &[idx_header(0x803, &[2, 2, 2]), vec![7; 8]].concat(),
        );
        let labels = dir.write(
            "valid-labels",
            &[idx_header(0x801, &[2]), vec![1, 2]].concat(),
        );
        IdxOracle {
            dir,
            images,
            labels,
        }
    }

    /// Loads `bytes`, saved as `name` (gzip-compressed if it ends in `.gz`), as images and as
    /// labels, and checks the rules.
    pub fn check(&self, name: &str, bytes: &[u8]) {
        let path = self.dir.write(name, bytes);
        for (images, labels) in [(&path, &self.labels), (&self.images, &path)] {
            let bound = backing(images) + backing(labels) + SLACK;
            let (result, peak) =
                peak_during(|| limited(bound, || Dataset::load(images, labels, 10)));
            assert!(
                peak <= bound,
                "{name}: {peak} bytes held for files backing {bound}"
            );
            match result {
                Ok(dataset) => {
                    assert_eq!(dataset.images().len(), dataset.len() * dataset.features());
                    assert!(dataset.labels().iter().all(|&l| l < 10));
                }
                Err(error) => {
                    let message = error.to_string();
                    assert!(message.contains(name), "{name}: {message}");
                }
            }
        }
    }
}

// ------------------------------------------------------------------ the model loader

/// Loads `bytes` as a model file every way there is (into a fixed `f32` MLP, and as an `f32`
/// and an `f64` MLP of the sizes the file gives); checks the rules.
pub fn check_model(dir: &TempDir, bytes: &[u8]) {
    let name = "fuzz.safetensors";
    let path = dir.write(name, bytes);
    let bound = 16 * bytes.len() + SLACK;
    let target = Mlp::<f32>::new(&[2, 3, 2], Activation::Tanh, 0);
    let (result, peak) = peak_during(|| limited(bound, || load(&target, &path)));
    assert!(
        peak <= bound,
        "load: {peak} bytes held for a {}-byte file",
        bytes.len()
    );
    assert_eq!(target.sizes(), &[2, 3, 2]);
    check_error(result.err(), name);
    let (result, peak) = peak_during(|| {
        limited(bound, || {
            Mlp::<f32>::from_safetensors(&path, None).map(|loaded| loaded.mlp)
        })
    });
    assert!(
        peak <= bound,
        "f32 MLP: {peak} bytes held for a {}-byte file",
        bytes.len()
    );
    check_mlp(result, name, bytes.len(), 4);
    let (result, peak) = peak_during(|| {
        limited(bound, || {
            Mlp::<f64>::from_safetensors(&path, Some(Activation::Relu)).map(|loaded| loaded.mlp)
        })
    });
    assert!(
        peak <= bound,
        "f64 MLP: {peak} bytes held for a {}-byte file",
        bytes.len()
    );
    check_mlp(result, name, bytes.len(), 8);
}

/// A loaded MLP's weights fit in the file they came from; an error names the file.
fn check_mlp<T: ferrograd::Element>(
    result: Result<Mlp<T>, CheckpointError>,
    name: &str,
    file_len: usize,
    element: usize,
) {
    match result {
        Ok(mlp) => {
            let weights: usize = mlp
                .sizes()
                .windows(2)
                .map(|pair| (pair[0] + 1) * pair[1])
                .sum();
            assert!(weights * element <= file_len);
        }
        Err(error) => check_error(Some(error), name),
    }
}

fn check_error(error: Option<CheckpointError>, name: &str) {
    if let Some(error) = error {
        let message = error.to_string();
        assert!(message.contains(name), "{message}");
    }
}

// ------------------------------------------------------------------ tensors and shapes

/// At most this many elements in a tensor the input builds, so that a broadcast result (at most
/// the product of two) stays small.
pub const MAX_ELEMENTS: usize = 256;

/// Broadcasts to more elements than this are skipped (they are valid; chained, they would grow
/// without bound).
const MAX_RESULT: usize = 1 << 12;

/// The most heap a shape program may hold: every tensor it makes and their gradients, each at
/// most [`MAX_RESULT`] `f32`s, with room to spare. Past it, the allocation fails and the process
/// aborts (see `common::limited`).
pub const SHAPES_HEAP: usize = 64 << 20;

/// At most this many operations on the first tensor.
const MAX_STEPS: usize = 12;

/// Sizes that overflow or nearly overflow, as products or against `isize::MAX`.
const LARGE_SIZES: [usize; 16] = [
    255,
    256,
    1000,
    4097,
    65_535,
    1 << 16,
    1 << 20,
    (1 << 31) - 1,
    1 << 31,
    3 << 30,
    1 << 32,
    1 << 40,
    1 << 62,
    usize::MAX / 2,
    usize::MAX / 2 + 1,
    usize::MAX,
];

/// The fuzz input, read a byte at a time; zeros once it is used up.
pub struct Input<'a>(&'a [u8]);

impl Input<'_> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn byte(&mut self) -> u8 {
        let Some((&first, rest)) = self.0.split_first() else {
            return 0;
        };
        self.0 = rest;
        first
    }

    /// One size: a byte below 240 gives 0 to 5 (mostly small shapes), the rest a large size.
    fn size(&mut self) -> usize {
        match self.byte() {
            b @ 0..240 => usize::from(b % 6),
            b => LARGE_SIZES[usize::from(b - 240)],
        }
    }

    /// A shape of 0 to 4 dimensions (5 now and then).
    fn shape(&mut self) -> Vec<usize> {
        let ndim = match self.byte() % 16 {
            15 => 5,
            n => usize::from(n % 5),
        };
        (0..ndim).map(|_| self.size()).collect()
    }
}

/// The number of elements of `shape`, unless it overflows.
fn elements(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
}

/// Whether an array of `shape` can exist: the product of its nonzero sizes fits in `isize`
/// (ndarray's rule; a shape with a 0 has no elements but must still be indexable).
fn indexable(shape: &[usize]) -> bool {
    shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .is_some_and(|n| n <= isize::MAX as usize)
}

/// The value the tests put at row-major position `i`: distinct, exact in `f32`.
fn value(i: usize) -> f32 {
    i as f32 * 0.5 - 100.0
}

/// Runs the program that `data` spells (see [`check_shapes_of`]) and checks every step;
/// returns how many operations succeeded.
pub fn check_shapes(data: &[u8]) -> usize {
    limited(SHAPES_HEAP, || check_shapes_of(&mut Input(data)))
}

/// A tensor from `Tensor::from_vec` with a shape and a length from the input (usually the
/// shape's element count, sometimes not), then up to [`MAX_STEPS`] of `reshape`, `transpose`
/// and a broadcasting `add`/`sub`/`mul`/`div` with another such tensor, each checked; then
/// `backward` through it all, checking that every leaf gets a gradient of its shape. Returns
/// how many of the operations succeeded.
pub fn check_shapes_of(input: &mut Input) -> usize {
    let mut leaves = Vec::new();
    let mut succeeded = 0;
    let Some(mut current) = from_vec(input) else {
        return succeeded;
    };
    leaves.push(current.clone());
    for _ in 0..MAX_STEPS {
        if input.is_empty() {
            break;
        }
        let next = match input.byte() % 3 {
            0 => reshape(&current, &input.shape()),
            1 => transpose(&current),
            _ => {
                let op = input.byte();
                let Some(other) = from_vec(input) else {
                    continue;
                };
                let result = broadcast(&current, &other, op);
                if result.is_some() {
                    leaves.push(other);
                }
                result
            }
        };
        if let Some(next) = next {
            current = next;
            succeeded += 1;
        }
    }
    let loss = current.sum_all();
    loss.backward();
    for leaf in &leaves {
        let grad = leaf
            .grad()
            .expect("every leaf the result depends on gets a gradient");
        assert_eq!(grad.shape(), leaf.shape(), "gradient of a leaf");
    }
    succeeded
}

/// `Tensor::from_vec` with a shape and a length from the input; checks that it succeeds exactly
/// when the length fills the shape.
fn from_vec(input: &mut Input) -> Option<Tensor<f32>> {
    let shape = input.shape();
    let count = elements(&shape);
    let len = match input.byte() {
        b @ 0..192 => count
            .filter(|&n| n <= MAX_ELEMENTS)
            .unwrap_or(usize::from(b)),
        b => usize::from(b - 192),
    };
    let values: Vec<f32> = (0..len).map(value).collect();
    let fits = count == Some(len) && indexable(&shape);
    match Tensor::from_vec(values, &shape) {
        Ok(tensor) => {
            assert!(fits, "from_vec: {len} elements accepted for {shape:?}");
            assert_eq!(tensor.shape(), shape);
            assert_eq!(tensor.len(), len);
            Some(tensor.requires_grad())
        }
        Err(error) => {
            assert!(
                !fits,
                "from_vec: {len} elements rejected for {shape:?}: {error}"
            );
            check_shape_error(&error, &shape, "from_vec");
            None
        }
    }
}

/// `try_reshape`, checked to succeed exactly when the element counts agree and to keep the
/// elements in row-major order.
fn reshape(tensor: &Tensor<f32>, shape: &[usize]) -> Option<Tensor<f32>> {
    let fits = elements(shape) == Some(tensor.len()) && indexable(shape);
    match tensor.try_reshape(shape) {
        Ok(reshaped) => {
            assert!(fits, "reshape {:?} to {shape:?} accepted", tensor.shape());
            assert_eq!(reshaped.shape(), shape);
            let before: Vec<u32> = tensor.to_array().iter().map(|x| x.to_bits()).collect();
            let after: Vec<u32> = reshaped.to_array().iter().map(|x| x.to_bits()).collect();
            assert_eq!(before, after, "reshape to {shape:?} moved elements");
            Some(reshaped)
        }
        Err(error) => {
            assert!(!fits, "reshape {:?} to {shape:?}: {error}", tensor.shape());
            check_shape_error(&error, shape, "reshape");
            None
        }
    }
}

/// The error for elements that cannot fill `shape`: [`TensorError::TooLarge`] when no array
/// can have `shape`, else [`TensorError::ElementCount`]; both name the operation and the shape.
fn check_shape_error(error: &TensorError, shape: &[usize], op: &str) {
    let expected = if indexable(shape) {
        matches!(error, TensorError::ElementCount { shape: s, .. } if s == shape)
    } else {
        matches!(error, TensorError::TooLarge { shape: s, .. } if s == shape)
    };
    assert!(expected, "{op} to {shape:?}: {error:?}");
    assert!(error.to_string().starts_with(op), "{error}");
}

/// `try_transpose`, checked to succeed exactly on 2-d tensors and to swap the indices.
fn transpose(tensor: &Tensor<f32>) -> Option<Tensor<f32>> {
    let shape = tensor.shape();
    match tensor.try_transpose() {
        Ok(transposed) => {
            assert_eq!(shape.len(), 2, "transpose of {shape:?} accepted");
            assert_eq!(transposed.shape(), [shape[1], shape[0]]);
            let (a, t) = (tensor.to_array(), transposed.to_array());
            for (index, &x) in a.indexed_iter() {
                assert_eq!(x.to_bits(), t[[index[1], index[0]]].to_bits());
            }
            Some(transposed)
        }
        Err(error) => {
            assert_ne!(shape.len(), 2, "transpose of {shape:?}: {error}");
            assert!(
                matches!(error, TensorError::Rank { .. }),
                "transpose: {error}"
            );
            None
        }
    }
}

/// `try_add`, `try_sub`, `try_mul` or `try_div` (by `op`), checked to succeed exactly when the
/// shapes broadcast to a shape that can exist, and then to give that shape and, element by
/// element, the operation on the elements that broadcasting pairs. Skipped when the result
/// would hold more than [`MAX_RESULT`] elements.
fn broadcast(lhs: &Tensor<f32>, rhs: &Tensor<f32>, op: u8) -> Option<Tensor<f32>> {
    let (a, b) = (lhs.shape(), rhs.shape());
    let broadcast = broadcast_shape(&a, &b);
    let expected = broadcast.clone().filter(|shape| indexable(shape));
    if expected
        .as_deref()
        .and_then(elements)
        .is_some_and(|n| n > MAX_RESULT)
    {
        return None; // valid, but too large to compute at fuzzing speed
    }
    let (result, f): (_, fn(f32, f32) -> f32) = match op % 4 {
        0 => (lhs.try_add(rhs), |x, y| x + y),
        1 => (lhs.try_sub(rhs), |x, y| x - y),
        2 => (lhs.try_mul(rhs), |x, y| x * y),
        _ => (lhs.try_div(rhs), |x, y| x / y),
    };
    match result {
        Ok(result) => {
            let expected = expected.unwrap_or_else(|| panic!("{a:?} with {b:?} accepted"));
            assert_eq!(result.shape(), expected, "{a:?} with {b:?}");
            let (x, y, z) = (lhs.to_array(), rhs.to_array(), result.to_array());
            for (index, &got) in z.indexed_iter() {
                let at = |shape: &[usize]| -> Vec<usize> {
                    let skip = index.ndim() - shape.len();
                    shape
                        .iter()
                        .enumerate()
                        .map(|(i, &d)| if d == 1 { 0 } else { index[skip + i] })
                        .collect()
                };
                let want = f(x[at(&a).as_slice()], y[at(&b).as_slice()]);
                assert!(
                    got == want || (got.is_nan() && want.is_nan()),
                    "{a:?} with {b:?} at {:?}: {got} against {want}",
                    index.slice()
                );
            }
            Some(result)
        }
        Err(error) => {
            assert!(expected.is_none(), "{a:?} with {b:?} rejected: {error}");
            match broadcast {
                None => assert!(
                    matches!(&error, TensorError::Broadcast { lhs, rhs, .. } if *lhs == a && *rhs == b),
                    "{a:?} with {b:?}: {error:?}"
                ),
                Some(shape) => assert!(
                    matches!(&error, TensorError::TooLarge { shape: s, .. } if *s == shape),
                    "{a:?} with {b:?}: {error:?}"
                ),
            }
            None
        }
    }
}

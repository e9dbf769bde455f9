//! The measurements: GEMM rate, the training step, and the step's matrix products alone.
//!
//! Every product here is [`ferrograd::kernels::matmul`], the engine's own, so each is split over
//! the threads the process is set to ([`ferrograd::set_num_threads`]) just as in training.

use std::hint::black_box;
use std::ops::Range;
use std::time::Instant;

use ferrograd::Tensor;
use ferrograd::kernels::{matmul, matmul_into};
use ferrograd::nn::{Mlp, Module};
use ferrograd::optim::Sgd;
use ferrograd::train::{Learner, recipe};
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::report::{GemmResult, StepResult};
use crate::peers::{Alone, Peers};

use recipe::{CLASSES, INPUTS};

/// Images in MNIST's training set: one epoch.
pub const EPOCH_IMAGES: usize = 60_000;
/// The recipe's batch size and hidden width.
pub const RECIPE: (usize, usize) = (recipe::BATCH_SIZE, recipe::HIDDEN);

/// The recipe's MLP with `hidden` units in each of its two hidden layers, initialised from the
/// recipe's seed, and its SGD.
pub fn recipe_learner(hidden: usize) -> Learner<Mlp<f32>, Sgd<f32>> {
    let model = Mlp::<f32>::new(&mlp_sizes(hidden), recipe::ACTIVATION, recipe::SEED);
    let sgd = Sgd::new(model.parameters(), recipe::LEARNING_RATE as f32);
    Learner::new(model, sgd)
}

/// The layer sizes of the recipe's MLP with `hidden` units in each of its two hidden layers.
pub fn mlp_sizes(hidden: usize) -> [usize; 4] {
    [INPUTS, hidden, hidden, CLASSES]
}

/// Floating-point operations of the matrix products in one training step of an MLP with layer
/// sizes `sizes` on `batch` rows: each layer's forward product and weight gradient, and the
/// input gradient of every layer but the first (the images need none); 2·m·k·n each.
pub fn step_flops(batch: usize, sizes: &[usize]) -> f64 {
    sizes
        .windows(2)
        .enumerate()
        .map(|(i, pair)| {
            let product = 2.0 * (batch * pair[0] * pair[1]) as f64;
            if i == 0 { 2.0 * product } else { 3.0 * product }
        })
        .sum()
}

/// Training steps in one epoch at batch size `batch`, the last partial batch dropped.
pub fn epoch_steps(batch: usize) -> usize {
    EPOCH_IMAGES / batch
}

/// How long to warm up and how long to measure.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Untimed calls first (at least 1; the fastest of them sizes the repetitions).
    pub warmup: usize,
    /// Timed repetitions; their median is reported.
    pub reps: usize,
    /// The time one repetition should take when `iters` is not fixed.
    pub seconds_per_rep: f64,
    /// Calls per repetition, instead of filling `seconds_per_rep`.
    pub iters: Option<usize>,
}

/// Seconds per call of each repetition, and the calls per repetition.
pub struct Timing {
    /// Calls per repetition.
    pub iters: usize,
    /// Seconds per call, one entry per repetition.
    pub per_call: Vec<f64>,
}

impl Timing {
    /// The median seconds per call.
    pub fn median(&self) -> f64 {
        median(&self.per_call)
    }

    fn min(&self) -> f64 {
        self.per_call.iter().copied().fold(f64::INFINITY, f64::min)
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// Warms up with `budget.warmup` calls of `f`, then times `budget.reps` repetitions of as many
/// calls as fill `budget.seconds_per_rep` (judged from rank 0's fastest warm-up call). Every
/// process of `peers` makes as many calls, each repetition starting together.
pub fn time_reps(budget: Budget, peers: &dyn Peers, mut f: impl FnMut()) -> Timing {
    let mut fastest = f64::INFINITY;
    for _ in 0..budget.warmup.max(1) {
        let started = Instant::now();
        f();
        fastest = fastest.min(started.elapsed().as_secs_f64());
    }
    let iters = budget.iters.unwrap_or_else(|| {
        let fill = (budget.seconds_per_rep / fastest.max(1e-9)).ceil();
        fill.clamp(1.0, 1e6) as usize
    });
    let mut agreed = (iters as u64).to_le_bytes().to_vec();
    peers.broadcast(&mut agreed);
    let iters = u64::from_le_bytes(agreed.try_into().expect("8 bytes")) as usize;
    let per_call = (0..budget.reps.max(1))
        .map(|_| {
            peers.gather(&[]);
            let started = Instant::now();
            for _ in 0..iters {
                f();
            }
            started.elapsed().as_secs_f64() / iters as f64
        })
        .collect();
    Timing { iters, per_call }
}

/// The generator of the random data of the step at `batch` and `hidden`.
pub fn shape_rng(batch: usize, hidden: usize) -> StdRng {
    StdRng::seed_from_u64((batch * 1_000_003 + hidden) as u64)
}

/// The images `rows` of a random batch of `batch` images in `[0, 1]`, and their random labels.
pub fn random_batch(
    rng: &mut StdRng,
    batch: usize,
    rows: Range<usize>,
) -> (Tensor<f32>, Vec<usize>) {
    let images = Array2::from_shape_fn((batch, INPUTS), |_| rng.random::<f32>());
    let labels: Vec<usize> = (0..batch).map(|_| rng.random_range(0..CLASSES)).collect();
    let x = Tensor::from_array(images.slice(ndarray::s![rows.clone(), ..]).to_owned());
    (x, labels[rows].to_vec())
}

/// A `(rows, cols)` matrix of uniform values in `[-1, 1)`.
fn random_matrix(rng: &mut StdRng, rows: usize, cols: usize) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |_| rng.random_range(-1.0..1.0))
}

/// The rate of `matmul(a, b)` for random `n×n` `f32` matrices: the product the engine's
/// `matmul` and its gradients compute (for square matrices this large, matrixmultiply's sgemm in
/// blocks split over the configured threads).
pub fn gemm(n: usize, budget: Budget) -> GemmResult {
    let mut rng = StdRng::seed_from_u64(n as u64);
    let a = random_matrix(&mut rng, n, n);
    let b = random_matrix(&mut rng, n, n);
    let timing = time_reps(budget, &Alone, || {
        black_box(matmul(black_box(a.view()), black_box(b.view())));
    });
    let seconds = timing.median();
    GemmResult {
        n,
        calls_per_rep: timing.iters,
        reps: timing.per_call.len(),
        ms: seconds * 1e3,
        gflops: 2.0 * (n as f64).powi(3) / seconds / 1e9,
    }
}

/// Times the recipe's training step (forward, cross-entropy, `zero_grad`, backward, SGD step)
/// of the MLP `784-hidden-hidden-10` with tanh on a fixed random batch of `batch` images in
/// `[0, 1]` with random labels, and the same step's eight matrix products alone.
pub fn train_step(
    batch: usize,
    hidden: usize,
    budget: Budget,
    peak_gflops: Option<f64>,
) -> StepResult {
    let sizes = mlp_sizes(hidden);
    let mut learner = recipe_learner(hidden);
    let mut rng = shape_rng(batch, hidden);
    let (x, labels) = random_batch(&mut rng, batch, 0..batch);
    let mut loss = f32::NAN;
    let timing = time_reps(budget, &Alone, || {
        loss = black_box(learner.step(&x, &labels));
    });
    drop(learner);

    let gemm_timing = time_reps(budget, &Alone, step_products(&mut rng, batch, hidden));
    let seconds = timing.median();
    let flops = step_flops(batch, &sizes);
    let gflops = flops / seconds / 1e9;
    StepResult {
        batch,
        hidden,
        mflop_per_step: flops / 1e6,
        steps_per_rep: timing.iters,
        reps: timing.per_call.len(),
        us_per_step: seconds * 1e6,
        us_per_step_min: timing.min() * 1e6,
        samples_per_s: batch as f64 / seconds,
        gflops,
        fraction_of_peak: peak_gflops.map(|peak| gflops / peak),
        epoch_s: seconds * epoch_steps(batch) as f64,
        gemm_only_us_per_step: gemm_timing.median() * 1e6,
        gemm_share: gemm_timing.median() / seconds,
        final_loss: f64::from(loss),
    }
}

/// The eight matrix products of one training step, with the layouts the engine uses (`x·W`
/// forward; `aᵀ·g` for a weight's gradient and `g·Wᵀ` for an input's, on transposed views),
/// on random data, each through the engine's [`matmul`] with the configured threads. Weight
/// gradients are written into buffers kept across steps with [`matmul_into`], as the engine
/// writes them into each weight's gradient buffer.
fn step_products(rng: &mut StdRng, batch: usize, hidden: usize) -> impl FnMut() {
    let x = random_matrix(rng, batch, INPUTS);
    let w1 = random_matrix(rng, INPUTS, hidden);
    let w2 = random_matrix(rng, hidden, hidden);
    let w3 = random_matrix(rng, hidden, CLASSES);
    let a1 = random_matrix(rng, batch, hidden);
    let a2 = random_matrix(rng, batch, hidden);
    let g1 = random_matrix(rng, batch, hidden);
    let g2 = random_matrix(rng, batch, hidden);
    let g3 = random_matrix(rng, batch, CLASSES);
    let (mut dw1, mut dw2, mut dw3) = (w1.clone(), w2.clone(), w3.clone());
    move || {
        black_box(matmul(x.view(), w1.view()));
        black_box(matmul(a1.view(), w2.view()));
        black_box(matmul(a2.view(), w3.view()));
        matmul_into(a2.t(), g3.view(), 0.0, dw3.view_mut());
        black_box(matmul(g3.view(), w3.t()));
        matmul_into(a1.t(), g2.view(), 0.0, dw2.view_mut());
        black_box(matmul(g2.view(), w2.t()));
        matmul_into(x.t(), g1.view(), 0.0, dw1.view_mut());
        black_box((&dw1, &dw2, &dw3));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipe_flops_match_the_issue() {
        let flops = step_flops(32, &mlp_sizes(256));
        assert_eq!(flops, 38_764_544.0);
        let epoch = flops * epoch_steps(32) as f64;
        assert!((epoch / 1e9 - 72.68).abs() < 0.01, "{epoch}");
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}

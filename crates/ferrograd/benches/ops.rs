//! Each operation's forward pass, and forward plus backward, at the shapes of the seed recipe
//! (MLP 784-256-256-10, batch 32, f32), and the recipe's whole training step.
//!
//! `cargo bench -p ferrograd --bench ops` runs everything; `cargo bench -p ferrograd --bench ops
//! -- matmul` only the products; add `--quick` for a fast, rougher pass.
//!
//! A benchmark named `op/forward` times building the result (and dropping it). `op/forward_backward`
//! times the forward pass, `backward_with` a seed of ones and dropping the graph: the
//! gradient's cost is the difference. Leaf gradients keep accumulating across iterations, as
//! they do between `zero_grad` calls.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ferrograd::Tensor;
use ferrograd::nn::{Activation, Mlp, Module, composite, cross_entropy};
use ferrograd::optim::{Optimizer, Sgd};
use ndarray::{ArrayD, IxDyn};

/// The recipe's batch size, hidden width, input width and classes.
const BATCH: usize = 32;
const HIDDEN: usize = 256;
const INPUTS: usize = 784;
const CLASSES: usize = 10;

/// A leaf of `shape` with deterministic values in `[lo, hi)`, requiring grad.
fn leaf(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let data = ArrayD::from_shape_fn(IxDyn(shape), |_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        lo + (hi - lo) * ((state >> 40) as f32 / (1u64 << 24) as f32)
    });
    Tensor::from_array(data).requires_grad()
}

/// Registers `name/forward` and `name/forward_backward` for `op` on `inputs`.
fn bench_op(c: &mut Criterion, name: &str, inputs: &[Tensor], op: impl Fn(&[Tensor]) -> Tensor) {
    let mut group = c.benchmark_group(name);
    group.bench_function("forward", |b| b.iter(|| black_box(op(black_box(inputs)))));
    let seed = ArrayD::<f32>::ones(op(inputs).data().raw_dim());
    group.bench_function("forward_backward", |b| {
        b.iter_batched(
            || seed.clone(),
            |seed| op(black_box(inputs)).backward_with(seed),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn elementwise(c: &mut Criterion) {
    let x = leaf(&[BATCH, HIDDEN], -1.0, 1.0, 1);
    let y = leaf(&[BATCH, HIDDEN], -1.0, 1.0, 2);
    let bias = leaf(&[1, HIDDEN], -1.0, 1.0, 3);
    let positive = leaf(&[BATCH, HIDDEN], 0.1, 2.0, 4);
    bench_op(c, "add_broadcast_32x256+1x256", &[x.clone(), bias], |t| {
        t[0].add(&t[1])
    });
    bench_op(c, "mul_32x256", &[x.clone(), y], |t| t[0].mul(&t[1]));
    bench_op(c, "tanh_32x256", std::slice::from_ref(&x), |t| t[0].tanh());
    bench_op(c, "exp_32x256", std::slice::from_ref(&x), |t| t[0].exp());
    bench_op(c, "log_32x256", &[positive], |t| t[0].log());
}

fn matmul(c: &mut Criterion) {
    let images = leaf(&[BATCH, INPUTS], 0.0, 1.0, 5);
    let w1 = leaf(&[INPUTS, HIDDEN], -0.036, 0.036, 6);
    let hidden = leaf(&[BATCH, HIDDEN], -1.0, 1.0, 7);
    let w2 = leaf(&[HIDDEN, HIDDEN], -0.0625, 0.0625, 8);
    bench_op(c, "matmul_32x784@784x256", &[images, w1], |t| {
        t[0].matmul(&t[1])
    });
    bench_op(
        c,
        "matmul_32x256@256x256",
        &[hidden.clone(), w2.clone()],
        |t| t[0].matmul(&t[1]),
    );
    // The linear layer's x·w + b, fused and as the original composes it.
    let bias = leaf(&[1, HIDDEN], -0.0625, 0.0625, 9);
    let layer = [hidden, w2, bias];
    bench_op(c, "matmul_add_32x256@256x256+256", &layer, |t| {
        t[0].matmul_add(&t[1], &t[2])
    });
    bench_op(c, "matmul_then_add_32x256@256x256+256", &layer, |t| {
        composite::linear(&t[0], &t[1], &t[2])
    });
}

fn reductions(c: &mut Criterion) {
    let x = leaf(&[BATCH, HIDDEN], -1.0, 1.0, 9);
    let logits = leaf(&[BATCH, CLASSES], -3.0, 3.0, 10);
    bench_op(c, "sum_axis1_32x256", std::slice::from_ref(&x), |t| {
        t[0].sum(Some(1), false)
    });
    bench_op(c, "max_axis1_32x256", std::slice::from_ref(&x), |t| {
        t[0].max(Some(1), false)
    });
    bench_op(c, "softmax_32x10", std::slice::from_ref(&logits), |t| {
        t[0].softmax(-1)
    });
    bench_op(c, "log_softmax_32x10", std::slice::from_ref(&logits), |t| {
        t[0].log_softmax(-1)
    });
    let labels: Vec<usize> = (0..BATCH).map(|i| i * 7 % CLASSES).collect();
    bench_op(c, "cross_entropy_32x10", &[logits], |t| {
        cross_entropy(&t[0], &labels)
    });
}

/// The recipe's whole training step: forward, cross-entropy, `zero_grad`, backward, SGD.
fn train_step(c: &mut Criterion) {
    let model = Mlp::<f32>::new(&[INPUTS, HIDDEN, HIDDEN, CLASSES], Activation::Tanh, 0);
    let mut sgd = Sgd::new(model.parameters(), 0.1);
    let images = Tensor::from_array(leaf(&[BATCH, INPUTS], 0.0, 1.0, 11).to_array());
    let labels: Vec<usize> = (0..BATCH).map(|i| i * 3 % CLASSES).collect();
    c.bench_function("train_step_recipe", |b| {
        b.iter(|| {
            let loss = cross_entropy(&model.forward(&images), &labels);
            sgd.zero_grad();
            loss.backward();
            sgd.step();
            black_box(loss.item())
        })
    });
}

criterion_group!(benches, elementwise, matmul, reductions, train_step);
criterion_main!(benches);

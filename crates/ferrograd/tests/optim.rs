//! Tests of `ferrograd::optim`: SGD and Adam steps against hand-computed values, `zero_grad`,
//! parameters without gradients, and a small regression fitted with each.

use ferrograd::Tensor;
use ferrograd::nn::{Linear, Module, mse};
use ferrograd::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use ndarray::{Array2, array};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// A parameter holding `values`.
fn param(values: [f64; 2]) -> Tensor<f64> {
    Tensor::from_array(array![values[0], values[1]]).requires_grad()
}

/// Replaces `p`'s gradient by `grad`: zeroes it, then back-propagates `Σ grad ⊙ p`.
fn set_grad(p: &Tensor<f64>, grad: [f64; 2]) {
    p.zero_grad();
    (p * Tensor::from_array(array![grad[0], grad[1]]))
        .sum_all()
        .backward();
}

fn assert_values(p: &Tensor<f64>, expected: [f64; 2]) {
    let actual = p.to_array();
    let close = actual
        .iter()
        .zip(expected)
        .all(|(a, e)| (a - e).abs() < 1e-12);
    assert!(close, "{actual} != {expected:?}");
}

/// SGD with momentum and weight decay.
fn sgd_with<T: ferrograd::Element>(
    params: Vec<Tensor<T>>,
    lr: f64,
    momentum: f64,
    weight_decay: f64,
) -> Sgd<T> {
    let config = SgdConfig {
        lr: T::from_f64(lr),
        momentum: T::from_f64(momentum),
        weight_decay: T::from_f64(weight_decay),
    };
    Sgd::try_new(params, config).unwrap()
}

// ---------------------------------------------------------------- SGD

#[test]
fn sgd_subtracts_lr_times_grad() {
    let p = param([1.0, 2.0]);
    let mut sgd = Sgd::new(vec![p.clone()], 0.1);
    set_grad(&p, [0.5, -1.0]);
    sgd.step(); // [1 - 0.1·0.5, 2 - 0.1·(-1)]
    assert_values(&p, [0.95, 2.1]);
}

#[test]
fn sgd_momentum_accumulates_velocity() {
    let p = param([1.0, 2.0]);
    let mut sgd = sgd_with(vec![p.clone()], 0.1, 0.9, 0.0);

    set_grad(&p, [0.5, -1.0]);
    sgd.step(); // v = g = [0.5, -1]; p = [1 - 0.05, 2 + 0.1]
    assert_values(&p, [0.95, 2.1]);

    set_grad(&p, [1.0, 1.0]);
    sgd.step(); // v = 0.9·[0.5, -1] + [1, 1] = [1.45, 0.1]; p = [0.95 - 0.145, 2.1 - 0.01]
    assert_values(&p, [0.805, 2.09]);
}

#[test]
fn sgd_weight_decay_adds_to_the_gradient() {
    let p = param([1.0, 2.0]);
    let mut sgd = sgd_with(vec![p.clone()], 0.1, 0.0, 0.1);
    set_grad(&p, [0.5, -1.0]);
    sgd.step(); // g = [0.5 + 0.1, -1 + 0.2] = [0.6, -0.8]; p = [1 - 0.06, 2 + 0.08]
    assert_values(&p, [0.94, 2.08]);

    let q = param([1.0, 2.0]);
    let mut sgd = sgd_with(vec![q.clone()], 0.1, 0.5, 0.1);
    set_grad(&q, [0.5, -1.0]);
    sgd.step(); // v = [0.6, -0.8]; q = [0.94, 2.08]
    set_grad(&q, [0.0, 0.0]);
    sgd.step(); // v = 0.5·[0.6, -0.8] + 0.1·[0.94, 2.08] = [0.394, -0.192]; q -= 0.1 v
    assert_values(&q, [0.94 - 0.0394, 2.08 + 0.0192]);
}

// ---------------------------------------------------------------- Adam

#[test]
fn adam_first_two_steps_match_hand_computation() {
    let p = param([1.0, 1.0]);
    let mut adam = Adam::new(vec![p.clone()], 0.1);

    // Step 1, g = 2 (first element) and 0.5 (second); β1 = 0.9, β2 = 0.999, eps = 1e-8:
    //   m = 0.1·2 = 0.2            m̂ = 0.2 / (1 - 0.9) = 2
    //   v = 0.001·4 = 0.004        v̂ = 0.004 / (1 - 0.999) = 4
    //   p = 1 - 0.1·2 / (√4 + 1e-8) ≈ 0.9
    // and for g = 0.5 the same ratio m̂ / √v̂ = 0.5 / 0.5, so also ≈ 0.9.
    set_grad(&p, [2.0, 0.5]);
    adam.step();
    let first = [
        1.0 - 0.1 * 2.0 / (2.0 + 1e-8),
        1.0 - 0.1 * 0.5 / (0.5 + 1e-8),
    ];
    assert_values(&p, first);

    // Step 2, g = -1 (first element):
    //   m = 0.9·0.2 + 0.1·(-1) = 0.08              m̂ = 0.08 / (1 - 0.81) = 0.42105...
    //   v = 0.999·0.004 + 0.001·1 = 0.004996       v̂ = 0.004996 / (1 - 0.998001) = 2.49925...
    //   p = first - 0.1·0.42105 / (√2.49925 + 1e-8) ≈ 0.9 - 0.026634 ≈ 0.873366
    // g = 0.5 again (second element):
    //   m = 0.9·0.05 + 0.1·0.5 = 0.095            m̂ = 0.095 / 0.19 = 0.5
    //   v = 0.999·0.00025 + 0.001·0.25 = 0.00049975   v̂ = 0.00049975 / 0.001999 = 0.25
    //   p = first - 0.1·0.5 / (0.5 + 1e-8) ≈ 0.8
    set_grad(&p, [-1.0, 0.5]);
    adam.step();
    let second = [
        first[0] - 0.1 * (0.08 / 0.19) / ((0.004996f64 / 0.001999).sqrt() + 1e-8),
        first[1] - 0.1 * (0.095 / 0.19) / ((0.00049975f64 / 0.001999).sqrt() + 1e-8),
    ];
    assert_values(&p, second);
    assert!((p.to_array()[0] - 0.873366).abs() < 1e-6);
}

#[test]
fn adam_betas_eps_and_weight_decay_are_used() {
    let p = param([1.0, -1.0]);
    let mut adam = Adam::try_new(
        vec![p.clone()],
        AdamConfig {
            betas: (0.5, 0.75),
            eps: 0.1,
            weight_decay: 0.5,
            ..AdamConfig::new(0.1)
        },
    )
    .unwrap();
    // g = [2, 2] + 0.5·[1, -1] = [2.5, 1.5]
    //   m = 0.5·g = [1.25, 0.75]        m̂ = m / 0.5 = [2.5, 1.5]
    //   v = 0.25·g² = [1.5625, 0.5625]  v̂ = v / 0.25 = [6.25, 2.25]
    //   p = p - 0.1·m̂ / (√v̂ + 0.1) = [1 - 0.25 / 2.6, -1 - 0.15 / 1.6]
    set_grad(&p, [2.0, 2.0]);
    adam.step();
    assert_values(&p, [1.0 - 0.25 / 2.6, -1.0 - 0.15 / 1.6]);
}

// ---------------------------------------------------------------- both

#[test]
fn zero_grad_zeroes_every_gradient() {
    let (a, b) = (param([1.0, 2.0]), param([3.0, 4.0]));
    let optimizers: [Box<dyn Optimizer>; 2] = [
        Box::new(Sgd::new(vec![a.clone(), b.clone()], 0.1)),
        Box::new(Adam::new(vec![a.clone(), b.clone()], 0.1)),
    ];
    for optimizer in optimizers {
        set_grad(&a, [1.0, 1.0]);
        set_grad(&b, [1.0, 1.0]);
        optimizer.zero_grad();
        assert_eq!(a.grad().unwrap(), array![0.0, 0.0].into_dyn());
        assert_eq!(b.grad().unwrap(), array![0.0, 0.0].into_dyn());
    }
}

#[test]
fn parameters_without_gradients_are_left_alone() {
    for momentum in [0.0, 0.9] {
        let (a, b) = (param([1.0, 2.0]), param([3.0, 4.0]));
        let mut sgd = sgd_with(vec![a.clone(), b.clone()], 0.1, momentum, 0.0);
        set_grad(&a, [1.0, 1.0]);
        sgd.step();
        assert_values(&a, [0.9, 1.9]);
        assert_values(&b, [3.0, 4.0]);
        assert!(b.grad().is_none());
    }

    let (a, b) = (param([1.0, 2.0]), param([3.0, 4.0]));
    let mut adam = Adam::new(vec![a.clone(), b.clone()], 0.1);
    set_grad(&a, [1.0, 1.0]);
    adam.step();
    assert_values(&b, [3.0, 4.0]);
    // b's first gradient arrives at the optimizer's second step: its moments and step count
    // start then, as in PyTorch, so it moves by the first-step amount lr·g / (|g| + eps).
    set_grad(&a, [1.0, 1.0]);
    set_grad(&b, [2.0, -2.0]);
    adam.step();
    let moved = 0.1 * 2.0 / (2.0 + 1e-8);
    assert_values(&b, [3.0 - moved, 4.0 + moved]);
}

/// Fits y = 3x + 2 with a 1 → 1 linear layer and returns the learned (weight, bias).
fn fit_line(
    optimizer: impl FnOnce(Vec<Tensor<f64>>) -> Box<dyn Optimizer>,
    steps: usize,
) -> (f64, f64) {
    let x = Array2::from_shape_fn((20, 1), |(i, _)| -1.0 + i as f64 / 10.0);
    let y = x.mapv(|x| 3.0 * x + 2.0);
    let (x, y) = (Tensor::from_array(x), Tensor::from_array(y));
    let layer = Linear::<f64>::new(1, 1, &mut StdRng::seed_from_u64(0));
    let mut optimizer = optimizer(layer.parameters());
    for _ in 0..steps {
        optimizer.zero_grad();
        mse(&layer.forward(&x), &y).backward();
        optimizer.step();
    }
    (layer.weight.item(), layer.bias.item())
}

#[test]
fn sgd_fits_a_line() {
    let (w, b) = fit_line(|params| Box::new(Sgd::new(params, 0.1)), 500);
    assert!((w - 3.0).abs() < 1e-3 && (b - 2.0).abs() < 1e-3, "{w} {b}");
    let (w, b) = fit_line(|params| Box::new(sgd_with(params, 0.05, 0.9, 0.0)), 300);
    assert!((w - 3.0).abs() < 1e-3 && (b - 2.0).abs() < 1e-3, "{w} {b}");
}

#[test]
fn adam_fits_a_line() {
    let (w, b) = fit_line(|params| Box::new(Adam::new(params, 0.1)), 500);
    assert!((w - 3.0).abs() < 1e-3 && (b - 2.0).abs() < 1e-3, "{w} {b}");
}

// ---------------------------------------------------------------- settings

#[test]
fn settings_out_of_range_are_refused_with_the_rule() {
    let p = || vec![param([1.0, 2.0])];
    let sgd = |config: SgdConfig<f64>| Sgd::try_new(p(), config).err().map(|e| e.to_string());
    let plain = SgdConfig::new(0.1);
    for lr in [-0.1, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let message = sgd(SgdConfig { lr, ..plain }).expect("refused");
        assert_eq!(
            message,
            format!("SGD: lr must be a finite number >= 0, got {lr}")
        );
    }
    assert_eq!(
        sgd(SgdConfig {
            momentum: -0.5,
            ..plain
        })
        .unwrap(),
        "SGD: momentum must be a finite number >= 0, got -0.5"
    );
    assert_eq!(
        sgd(SgdConfig {
            weight_decay: f64::NAN,
            ..plain
        })
        .unwrap(),
        "SGD: weight_decay must be a finite number >= 0, got NaN"
    );
    // The edges of the ranges are allowed: a learning rate of 0 leaves the parameters as they are.
    assert_eq!(
        sgd(SgdConfig {
            lr: 0.0,
            momentum: 0.0,
            weight_decay: 0.0
        }),
        None
    );

    let adam = |config: AdamConfig<f64>| Adam::try_new(p(), config).err().map(|e| e.to_string());
    let defaults = AdamConfig::new(0.1);
    let cases = [
        (
            AdamConfig {
                lr: -1.0,
                ..defaults
            },
            "lr must be a finite number >= 0, got -1",
        ),
        (
            AdamConfig {
                betas: (1.0, 0.999),
                ..defaults
            },
            "beta1 must be in [0, 1), got 1",
        ),
        (
            AdamConfig {
                betas: (0.9, -0.1),
                ..defaults
            },
            "beta2 must be in [0, 1), got -0.1",
        ),
        (
            AdamConfig {
                betas: (f64::NAN, 0.9),
                ..defaults
            },
            "beta1 must be in [0, 1), got NaN",
        ),
        (
            AdamConfig {
                eps: 0.0,
                ..defaults
            },
            "eps must be a finite number > 0, got 0",
        ),
        (
            AdamConfig {
                weight_decay: -1.0,
                ..defaults
            },
            "weight_decay must be a finite number >= 0, got -1",
        ),
    ];
    for (config, expected) in cases {
        assert_eq!(adam(config).unwrap(), format!("Adam: {expected}"));
    }
    assert_eq!(
        adam(AdamConfig {
            lr: 0.0,
            betas: (0.0, 0.0),
            ..defaults
        }),
        None
    );
}

#[test]
fn the_panicking_constructors_panic_with_the_message() {
    let message = |f: fn()| {
        let payload = std::panic::catch_unwind(f).unwrap_err();
        payload.downcast_ref::<String>().cloned().unwrap()
    };
    assert_eq!(
        message(|| drop(Sgd::new(vec![param([1.0, 2.0])], -1.0))),
        "SGD: lr must be a finite number >= 0, got -1"
    );
    assert_eq!(
        message(|| drop(Adam::<f32>::new(Vec::new(), f32::INFINITY))),
        "Adam: lr must be a finite number >= 0, got inf"
    );
}

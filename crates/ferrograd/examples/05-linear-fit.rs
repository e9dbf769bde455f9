//! Rung 5 of the examples: a model that learns. A `Linear` layer (`y = x·w + b`) is fitted to
//! noisy points of the line `y = 3x - 2` by gradient descent with `Sgd` on the mean squared
//! error: forward, loss, `zero_grad`, `backward`, `step`, two hundred times. The loss falls and
//! the fitted slope and intercept reach the least-squares line.
//!
//! ```sh
//! cargo run --release --example 05-linear-fit
//! ```

use ferrograd::Tensor;
use ferrograd::nn::{Linear, Module, mse};
use ferrograd::optim::{Optimizer, Sgd};
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const SLOPE: f64 = 3.0;
const INTERCEPT: f64 = -2.0;
const POINTS: usize = 100;
const STEPS: usize = 200;

fn main() {
    // The data: x uniform in [-1, 1], y on the line plus noise in [-0.05, 0.05].
    let mut rng = StdRng::seed_from_u64(0);
    let xs: Vec<f64> = (0..POINTS).map(|_| rng.random_range(-1.0..1.0)).collect();
    let ys: Vec<f64> = xs
        .iter()
        .map(|x| SLOPE * x + INTERCEPT + rng.random_range(-0.05..0.05))
        .collect();
    let column = |values: &[f64]| Array2::from_shape_vec((values.len(), 1), values.to_vec());
    let x = Tensor::from_array(column(&xs).expect("POINTS values"));
    let y = Tensor::from_array(column(&ys).expect("POINTS values"));

    // One input, one output: w and b start as small random numbers.
    let model = Linear::<f64>::new(1, 1, &mut rng);
    let mut sgd = Sgd::new(model.parameters(), 0.1);
    let mut losses = Vec::with_capacity(STEPS);
    for step in 0..STEPS {
        let loss = mse(&model.forward(&x), &y);
        sgd.zero_grad();
        loss.backward();
        sgd.step();
        losses.push(loss.item());
        if step % 25 == 0 || step == STEPS - 1 {
            println!("step {step:3}: loss {:.6}", loss.item());
        }
    }
    let (slope, intercept) = (
        model.weight.to_array()[[0, 0]],
        model.bias.to_array()[[0, 0]],
    );

    // The least-squares line, in closed form: slope = cov(x, y) / var(x).
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mx, my) = (mean(&xs), mean(&ys));
    let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let var: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    let (ls_slope, ls_intercept) = (cov / var, my - cov / var * mx);

    println!("\nfitted:        y = {slope:.4} x {intercept:+.4}");
    println!("least squares: y = {ls_slope:.4} x {ls_intercept:+.4}");
    println!("the data's:    y = {SLOPE:.4} x {INTERCEPT:+.4} (plus noise)");
    assert!(
        losses[STEPS - 1] < losses[0] / 100.0,
        "the loss did not fall"
    );
    assert!((slope - ls_slope).abs() < 1e-4 && (intercept - ls_intercept).abs() < 1e-4);
    assert!((slope - SLOPE).abs() < 1e-2 && (intercept - INTERCEPT).abs() < 1e-2);
}

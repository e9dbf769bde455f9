//! Rung 4 of the examples: checking gradients. A central difference `(f(x + h) - f(x - h)) / 2h`
//! estimates a derivative without backward; `gradcheck` compares it with backward's gradient for
//! every input element, in `f64`, and catches a gradient that is wrong.
//!
//! ```sh
//! cargo run --release --example 04-gradcheck
//! ```

use ferrograd::nn::cross_entropy;
use ferrograd::{Tensor, gradcheck};
use ndarray::{ArrayD, array};

fn main() {
    // By hand, for f(x) = x³: backward gives 3x², and so do the differences.
    let values = array![-1.0f64, 0.5, 2.0];
    let x = Tensor::from_array(values.clone()).requires_grad();
    x.powf(3.0).sum_all().backward();
    let h = 1e-6;
    let numeric = values.mapv(|x| ((x + h).powi(3) - (x - h).powi(3)) / (2.0 * h));
    let analytic = x.grad().unwrap();
    println!(
        "d/dx x³ at x = {values}:\n  backward            {analytic}\n  central differences {numeric:.9}"
    );
    assert_eq!(analytic, array![3.0, 0.75, 12.0].into_dyn());
    let worst = (&numeric - &analytic).fold(0.0f64, |m, d| m.max(d.abs()));
    assert!(
        worst < 1e-6,
        "the differences are {worst} from backward's 3x²"
    );

    // gradcheck does this for every element of every input, weighting the output by a fixed
    // random upstream gradient, and reports the largest relative error per input.
    let a = array![[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]].into_dyn();
    let w = array![[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]].into_dyn();
    let b = array![[0.1, -0.1]].into_dyn();
    let inputs = [a, w, b];
    let sigmoid = |t: &[Tensor<f64>]| 1.0 / (1.0 + (-1.0 * &t[0]).exp());
    check("the sigmoid from primitives", sigmoid, &inputs[..1]);
    let layer = |t: &[Tensor<f64>]| (&t[0].matmul(&t[1]) + &t[2]).tanh();
    check("tanh(a·w + b), broadcasting b", layer, &inputs);
    let loss = |t: &[Tensor<f64>]| cross_entropy(&t[0].matmul_add(&t[1], &t[2]), &[1, 0]);
    check("cross-entropy of a·w + b", loss, &inputs);

    // A gradient backward gets wrong: `detach` hides one factor of x·x from backward, which then
    // sees the derivative of c·x (x) instead of x² (2x). gradcheck reports the difference.
    let report = gradcheck(|t| &t[0].detach() * &t[0], &inputs[..1], 1e-6);
    println!(
        "x.detach() * x: error {:.2} (backward gives x, the differences 2x)",
        report.max_error()
    );
    assert!(!report.passed(1e-6));
}

/// Runs gradcheck on `f` at `inputs`, prints each input's error and asserts they are small.
fn check(name: &str, f: impl Fn(&[Tensor<f64>]) -> Tensor<f64>, inputs: &[ArrayD<f64>]) {
    let report = gradcheck(f, inputs, 1e-6);
    let errors: Vec<String> = report.errors.iter().map(|e| format!("{e:.1e}")).collect();
    println!("{name}: largest error per input {}", errors.join(", "));
    assert!(report.passed(1e-6), "{name}: {report:?}");
}

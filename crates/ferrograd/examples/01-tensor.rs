//! Rung 1 of the examples: a first tensor and its gradient. Creating tensors, one operation after
//! another, `backward()`, reading `.grad()`, and what a tensor prints (its `grad_fn`).
//!
//! ```sh
//! cargo run --release --example 01-tensor
//! ```

use ferrograd::{Tensor, no_grad};
use ndarray::array;

fn main() {
    // A leaf: a tensor made from data. `requires_grad` asks backward to fill its gradient.
    let x = Tensor::from_array(array![1.0f64, 2.0, 3.0]).requires_grad();
    // A constant: no gradient is kept for it.
    let w = Tensor::from_array(array![0.5f64, -1.0, 2.0]);
    println!("x = {x}");
    println!("w = {w}");

    // Each operation records its inputs, so y remembers how it was made: y = x² + 5x + 4.
    let y = &x * &x + 5.0 * &x + 4.0;
    println!("\ny = x*x + 5*x + 4 = {y}");
    println!(
        "y.grad_fn_name() = {:?}, made from {} inputs",
        y.grad_fn_name(),
        y.parents().len()
    );
    assert_eq!(y.to_array(), array![10.0, 18.0, 28.0].into_dyn());

    // Reduce to one number and differentiate: loss = Σ w·y, so d loss/dx = w·(2x + 5).
    let loss = (&y * &w).sum_all();
    println!("\nloss = sum(w * y) = {loss}");
    loss.backward();
    let grad = x.grad().expect("x requires grad");
    println!("x.grad() = {grad}   (w·(2x + 5) = [0.5·7, -1·9, 2·11])");
    assert_eq!(grad, array![3.5, -9.0, 22.0].into_dyn());
    assert!(w.grad().is_none(), "a constant gets no gradient");

    // Gradients add up: a second backward through a new graph adds into x's gradient, as in
    // PyTorch, until zero_grad() clears it.
    (&x * 2.0).sum_all().backward();
    println!(
        "after a second backward of sum(2x): x.grad() = {}",
        x.grad().unwrap()
    );
    assert_eq!(x.grad().unwrap(), array![5.5, -7.0, 24.0].into_dyn());
    x.zero_grad();
    assert_eq!(x.grad().unwrap(), array![0.0, 0.0, 0.0].into_dyn());

    // Inside no_grad nothing is recorded: the result is a plain value, with no grad_fn.
    let z = no_grad(|| &x * &x);
    println!("\nno_grad(|| x * x) = {z}");
    assert_eq!(z.grad_fn_name(), None);
}

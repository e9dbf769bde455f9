//! Rung 3 of the examples: the original assignment's sigmoid, `1 / (1 + exp(-x))` written from
//! primitives on `x = [[1, 2, 3], [6, 4, 0]]`. It prints the result, the graph behind it and
//! the gradient (which must be σ(1 - σ)), and writes the graph in Graphviz's DOT language.
//!
//! ```sh
//! cargo run --release --example 03-sigmoid-graph [-- FILE.dot]
//! dot -Tsvg FILE.dot -o sigmoid.svg   # Graphviz draws it
//! ```
//! Without an argument the file is `ferrograd-sigmoid.dot` in the system's temporary folder.

use std::path::PathBuf;

use ferrograd::Tensor;
use ndarray::{ArrayD, array};

fn main() -> std::io::Result<()> {
    let x = Tensor::from_array(array![[1.0f64, 2.0, 3.0], [6.0, 4.0, 0.0]]).requires_grad();
    // Four recorded operations; each plain number becomes a 0-d constant that broadcasts.
    let s = 1.0 / (1.0 + (-1.0 * &x).exp());
    println!("x =\n{x}\n\nσ(x) = 1 / (1 + exp(-1 * x)) =\n{s}");

    println!("\nthe graph, from the result back to the leaf:");
    outline(&s, 0);

    s.backward();
    let grad = x.grad().expect("x requires grad");
    println!("\nx.grad() after s.backward():\n{grad:.6}");
    // dσ/dx = σ(x)(1 - σ(x)), element by element.
    let sigma = s.to_array();
    let expected = &sigma * &(1.0 - &sigma);
    println!("σ(1 - σ):\n{expected:.6}");
    let worst = (&grad - &expected)
        .iter()
        .fold(0.0f64, |m, d| m.max(d.abs()));
    println!("largest difference: {worst:.1e}");
    assert!(worst < 1e-12, "the sigmoid's gradient is not σ(1 - σ)");

    // The library's own `sigmoid` is one operation with the same values and gradient.
    let x2 = Tensor::from_array(x.to_array()).requires_grad();
    let fused = x2.sigmoid();
    fused.backward();
    let close =
        |a: &ArrayD<f64>, b: &ArrayD<f64>| a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-12);
    assert!(close(&fused.to_array(), &sigma) && close(&x2.grad().unwrap(), &grad));
    println!(
        "\nx.sigmoid(), one operation ({}), gives the same values and gradient",
        fused.grad_fn_name().unwrap()
    );

    let dot = s.to_dot();
    let path = std::env::args().nth(1).map_or_else(
        || std::env::temp_dir().join("ferrograd-sigmoid.dot"),
        PathBuf::from,
    );
    std::fs::write(&path, &dot)?;
    println!(
        "\nwrote the graph to {} ({} lines of DOT); draw it with\n  dot -Tsvg {} -o sigmoid.svg",
        path.display(),
        dot.lines().count(),
        path.display()
    );
    for op in ["DivBackward", "AddBackward", "ExpBackward", "MulBackward"] {
        assert!(dot.contains(op), "the DOT file lacks {op}");
    }
    Ok(())
}

/// Prints `t` and, indented below it, the tensors it was made from.
fn outline(t: &Tensor<f64>, depth: usize) {
    let what = match t.grad_fn_name() {
        Some(name) => name,
        None if t.needs_grad() => "leaf (requires_grad)",
        None => "constant",
    };
    println!("{:indent$}{what} {:?}", "", t.shape(), indent = 2 * depth);
    for parent in t.parents() {
        outline(&parent, depth + 1);
    }
}

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

    // The graph, each tensor after its inputs (the order backward walks in reverse).
    println!("\nthe graph, inputs first (s.sorted_nodes()):");
    let sorted = s.sorted_nodes();
    for (i, node) in sorted.nodes().iter().enumerate() {
        let what = match node.grad_fn_name() {
            Some(name) => name,
            None if node.needs_grad() => "leaf (requires_grad)",
            None => "constant",
        };
        let inputs: Vec<String> = node
            .parents()
            .iter()
            .filter_map(|input| sorted.index_of(input).map(|j| format!("#{j}")))
            .collect();
        let from = if inputs.is_empty() {
            String::new()
        } else {
            format!(" of {}", inputs.join(" and "))
        };
        println!("  #{i} {what} {:?}{from}", node.shape());
    }
    assert_eq!(
        sorted.nodes().len(),
        8,
        "x, three constants and four operations"
    );

    s.backward();
    let grad = x.grad().expect("x requires grad");
    println!("\nx.grad() after s.backward():\n{grad:.6}");
    // dσ/dx = σ(x)(1 - σ(x)), element by element.
    let sigma = s.to_array();
    let expected = &sigma * &(1.0 - &sigma);
    println!("σ(1 - σ):\n{expected:.6}");
    let worst = max_difference(&grad, &expected);
    println!("largest difference: {worst:.1e}");
    assert!(worst < 1e-12, "the sigmoid's gradient is not σ(1 - σ)");

    // The library's own `sigmoid` is one operation with the same values and gradient.
    let x2 = Tensor::from_array(x.to_array()).requires_grad();
    let fused = x2.sigmoid();
    fused.backward();
    assert!(max_difference(&fused.to_array(), &sigma) < 1e-12);
    assert!(max_difference(&x2.grad().unwrap(), &grad) < 1e-12);
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

/// The largest `|a - b|` over the elements.
fn max_difference(a: &ArrayD<f64>, b: &ArrayD<f64>) -> f64 {
    (a - b).fold(0.0, |m, d| m.max(d.abs()))
}

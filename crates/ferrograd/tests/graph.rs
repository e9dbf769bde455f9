//! The graph itself: a million-operation chain that must neither overflow the default test
//! thread's stack in backward nor when dropped (and must free every node), the order in which
//! the graph is walked, and the DOT export. `graph_memory.rs` checks freeing byte for byte.

use std::time::Instant;

use ferrograd::{Tensor, live_tensors};
use ndarray::array;

#[test]
fn million_op_chain_backward_and_drop_on_default_stack() {
    const STEPS: usize = 1_000_000;
    let x = Tensor::from_array(array![1.5f32, -2.0]).requires_grad();
    let (one, zero) = (Tensor::scalar(1.0f32), Tensor::scalar(0.0f32));
    let before = live_tensors();
    let start = Instant::now();
    let mut y = x.clone();
    // y = ((x * 1) + 0) * 1 ... so dy/dx = 1 for every element.
    for step in 0..STEPS {
        y = if step % 2 == 0 { &y * &one } else { &y + &zero };
    }
    let built = start.elapsed();
    assert_eq!(y.grad_fn_name(), Some("<AddBackward>"));
    y.backward();
    let backward = start.elapsed() - built;
    assert_eq!(x.grad().unwrap(), array![1.0f32, 1.0].into_dyn());
    assert_eq!(y.to_array(), array![1.5f32, -2.0].into_dyn());
    assert_eq!(live_tensors(), before + STEPS);
    drop(y);
    assert_eq!(live_tensors(), before, "every node of the chain is freed");
    eprintln!(
        "1M chain: build {built:?}, backward {backward:?}, total with drop {:?}",
        start.elapsed()
    );
}

/// Asserts that `root`'s sorted nodes are `expected` (in any order), once each, every one after
/// its inputs, `root` last.
#[track_caller]
fn assert_sorted(root: &Tensor<f64>, expected: &[&Tensor<f64>]) {
    let sorted = root.sorted_nodes();
    let nodes = sorted.nodes();
    assert_eq!(nodes.len(), expected.len());
    for tensor in expected {
        let at = sorted.index_of(tensor).expect("every node is walked");
        assert!(nodes[at].same_node(tensor));
        for input in tensor.parents() {
            assert!(sorted.index_of(&input).expect("and its inputs") < at);
        }
    }
    assert!(nodes.last().expect("the root").same_node(root));
}

#[test]
fn a_diamond_and_a_shared_subgraph_are_walked_once_each_inputs_first() {
    let x = Tensor::from_array(array![1.0f64, -2.0]).requires_grad();
    let two = Tensor::scalar(2.0);
    // A diamond: x feeds a and b, which meet in d.
    let a = &x * &two;
    let b = x.exp();
    let d = &a + &b;
    assert_sorted(&d, &[&x, &two, &a, &b, &d]);
    // The diamond reached twice, once through a longer path, and x once more.
    let doubled = &d * &two;
    let long = doubled.tanh();
    let sum = &long + &d;
    let out = &sum * &x;
    assert_sorted(&out, &[&x, &two, &a, &b, &d, &doubled, &long, &sum, &out]);
    assert_sorted(&x, &[&x]);
    assert_eq!(out.sorted_nodes().index_of(&Tensor::scalar(2.0)), None);
}

#[test]
fn an_intermediate_reached_along_paths_of_different_lengths_passes_on_its_whole_gradient() {
    let x = Tensor::from_array(array![1.0f64, -2.0]).requires_grad();
    // y = 3x meets itself after a detour of three doublings: z = Σ(8y + y) = Σ 27x.
    let y = &x * 3.0;
    let detour = &(&(&y * 2.0) * 2.0) * 2.0;
    (&detour + &y).sum_all().backward();
    assert_eq!(x.grad().unwrap(), array![27.0, 27.0].into_dyn());
}

#[test]
fn a_100_000_long_chain_is_walked_without_recursion() {
    let x = Tensor::from_array(array![1.0f64]).requires_grad();
    let mut y = x.clone();
    for _ in 0..100_000 {
        y = -&y;
    }
    let sorted = y.sorted_nodes();
    let nodes = sorted.nodes();
    assert_eq!(nodes.len(), 100_001);
    assert!(nodes[0].same_node(&x));
    assert!(nodes.windows(2).all(|w| w[1].parents()[0].same_node(&w[0])));
}

/// The DOT text's node declarations and edges, each sorted.
fn dot_parts(dot: &str) -> (Vec<&str>, Vec<&str>) {
    assert!(
        dot.starts_with("digraph ferrograd {\n  rankdir=BT;\n"),
        "{dot}"
    );
    assert!(dot.ends_with("}\n"), "{dot}");
    let lines = dot.lines().map(str::trim);
    let mut nodes: Vec<_> = lines.clone().filter(|l| l.contains("[label=")).collect();
    let mut edges: Vec<_> = lines.filter(|l| l.contains(" -> ")).collect();
    nodes.sort_unstable();
    edges.sort_unstable();
    (nodes, edges)
}

#[test]
fn dot_export_names_every_node_with_its_shape() {
    let a = Tensor::from_array(array![1.0f32, 2.0]).requires_grad();
    let b = Tensor::from_array(array![3.0f32, 4.0]);
    let dot = (&a * &b).sum_all().to_dot();
    let (nodes, edges) = dot_parts(&dot);
    assert_eq!(
        nodes,
        [
            r#"n0 [label="SumBackward\n[]", shape=box];"#,
            r#"n1 [label="MulBackward\n[2]", shape=box];"#,
            r#"n2 [label="leaf (requires_grad)\n[2]", shape=ellipse];"#,
            r#"n3 [label="constant\n[2]", shape=ellipse];"#,
        ]
    );
    assert_eq!(edges, ["n1 -> n0;", "n2 -> n1;", "n3 -> n1;"]);
}

#[test]
fn dot_export_of_a_larger_graph() {
    let x = Tensor::<f64>::ones(&[4, 3]).requires_grad();
    let w = Tensor::<f64>::ones(&[3, 2]).requires_grad();
    let b = Tensor::<f64>::zeros(&[2]).requires_grad();
    // A node used twice (h) is declared once and has an edge to each use.
    let h = (x.matmul(&w) + &b).tanh();
    let loss = (&h * &h + &h).log_softmax(-1).mean(None, false);
    let dot = loss.to_dot();
    let (nodes, edges) = dot_parts(&dot);
    for label in [
        r#""MeanBackward\n[]""#,
        r#""LogSoftmaxBackward\n[4, 2]""#,
        r#""AddBackward\n[4, 2]""#,
        r#""MulBackward\n[4, 2]""#,
        r#""TanhBackward\n[4, 2]""#,
        r#""MatmulBackward\n[4, 2]""#,
        r#""leaf (requires_grad)\n[4, 3]""#,
        r#""leaf (requires_grad)\n[3, 2]""#,
        r#""leaf (requires_grad)\n[2]""#,
    ] {
        assert!(dot.contains(label), "{label} missing from\n{dot}");
    }
    // mean, log_softmax, add (h·h + h), mul, tanh, add (+ b), matmul, x, w, b
    assert_eq!(nodes.len(), 10, "{dot}");
    assert_eq!(dot.matches("AddBackward").count(), 2);
    // One edge per (input, use): mean 1, log_softmax 1, outer add 2, mul 2, tanh 1, inner add 2,
    // matmul 2.
    assert_eq!(edges.len(), 11, "{dot}");
    let tanh = nodes
        .iter()
        .find(|n| n.contains("TanhBackward"))
        .and_then(|n| n.split_whitespace().next())
        .unwrap();
    let from_tanh = format!("{tanh} -> ");
    assert_eq!(
        edges.iter().filter(|e| e.starts_with(&from_tanh)).count(),
        3
    );
}

#[test]
fn dot_export_of_a_leaf() {
    let leaf = Tensor::<f32>::zeros(&[2, 3]).requires_grad();
    assert_eq!(
        leaf.to_dot(),
        "digraph ferrograd {\n  rankdir=BT;\n  n0 [label=\"leaf (requires_grad)\\n[2, 3]\", shape=ellipse];\n}\n"
    );
}

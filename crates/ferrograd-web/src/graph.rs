//! The original's sigmoid example, `1 / (1 + exp(-x))`, as a graph to draw: every node with its
//! operation, value and gradient after backward, placed in layers (leaves first).

use ferrograd::Tensor;
use ndarray::array;
use serde::Serialize;

/// A node of the graph.
#[derive(Debug, Serialize)]
pub struct Node {
    /// What made it: the operation (`MulBackward`, ...) or `x` / `constant` for leaves.
    pub op: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub value: Vec<f64>,
    /// The gradient of the sum of the output with respect to it, row-major; `None` for a
    /// constant, which has none.
    pub grad: Option<Vec<f64>>,
    /// Its layer: one more than its deepest input's; a leaf's is one less than the first
    /// operation's that uses it.
    pub layer: usize,
    /// Its position within the layer, from 0.
    pub row: usize,
}

/// The graph: nodes, and edges `(from, to)` as indices into `nodes`, from an input to the
/// operation that used it.
#[derive(Debug, Serialize)]
pub struct Graph {
    /// The nodes, output last.
    pub nodes: Vec<Node>,
    /// The edges.
    pub edges: Vec<(usize, usize)>,
    /// The same graph in Graphviz's DOT, from [`Tensor::to_dot`].
    pub dot: String,
}

/// The sigmoid of the original's `x = [[1, 2, 3], [6, 4, 0]]` after a backward pass that keeps
/// every intermediate result's gradient, as the original does.
pub fn sigmoid() -> Graph {
    let x = Tensor::from_array(array![[1.0f64, 2.0, 3.0], [6.0, 4.0, 0.0]]).requires_grad();
    let out = 1.0 / (1.0 + (-1.0 * &x).exp());
    out.try_backward_retaining_grads()
        .expect("the output requires grad");

    // Every node, inputs before the operations that use them.
    let sorted = out.sorted_nodes();
    let order = sorted.nodes();
    let mut edges = Vec::new();
    let mut layers = vec![0usize; order.len()];
    for (i, t) in order.iter().enumerate() {
        for p in t.parents() {
            let from = sorted.index_of(&p).expect("every input was walked");
            edges.push((from, i));
            layers[i] = layers[i].max(layers[from] + 1);
        }
    }
    // A leaf sits just before the first operation that uses it, so constants lie beside the
    // operation they feed instead of all in the first column.
    for (i, t) in order.iter().enumerate() {
        if t.parents().is_empty()
            && let Some(first_use) = edges.iter().filter(|e| e.0 == i).map(|e| layers[e.1]).min()
        {
            layers[i] = first_use - 1;
        }
    }
    // Within a layer the chain's node (the one that needs grad) comes first, then the constants.
    let mut rows = vec![0usize; order.len()];
    let mut next_row = vec![0usize; order.len() + 1];
    for pass in [true, false] {
        for (i, t) in order.iter().enumerate() {
            if t.needs_grad() == pass {
                rows[i] = next_row[layers[i]];
                next_row[layers[i]] += 1;
            }
        }
    }
    let nodes = order
        .iter()
        .zip(layers.iter().zip(&rows))
        .map(|(t, (&layer, &row))| {
            let op = match t.grad_fn_name() {
                Some(name) => name.trim_matches(['<', '>']).to_string(),
                None if t.same_node(&x) => "x".to_string(),
                None => "constant".to_string(),
            };
            Node {
                op,
                shape: t.shape(),
                value: t.data().iter().copied().collect(),
                grad: t.grad().map(|g| g.iter().copied().collect()),
                layer,
                row,
            }
        })
        .collect();
    Graph {
        nodes,
        edges,
        dot: out.to_dot(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_and_gradient_is_the_sigmoids() {
        let graph = sigmoid();
        let xs = [1.0f64, 2.0, 3.0, 6.0, 4.0, 0.0];
        let sigma: Vec<f64> = xs.iter().map(|x| 1.0 / (1.0 + (-x).exp())).collect();
        let out = graph.nodes.last().expect("nodes");
        assert_eq!(out.op, "DivBackward");
        for (v, s) in out.value.iter().zip(&sigma) {
            assert!((v - s).abs() < 1e-15);
        }
        // d out / d out = 1; d out / dx = σ(1 - σ).
        assert!(out.grad.as_ref().unwrap().iter().all(|&g| g == 1.0));
        let x = graph.nodes.iter().find(|n| n.op == "x").expect("x");
        assert_eq!(x.shape, [2, 3]);
        assert_eq!(x.layer, 0);
        for (g, s) in x.grad.as_ref().unwrap().iter().zip(&sigma) {
            assert!(
                (g - s * (1.0 - s)).abs() < 1e-12,
                "{g} vs {}",
                s * (1.0 - s)
            );
        }
        // exp(-x): value e^-x, gradient d(1/(1+e))/de = -1/(1+e)^2 = -σ².
        let exp = graph
            .nodes
            .iter()
            .find(|n| n.op == "ExpBackward")
            .expect("exp");
        for ((v, g), (x, s)) in exp
            .value
            .iter()
            .zip(exp.grad.as_ref().unwrap())
            .zip(xs.iter().zip(&sigma))
        {
            assert!((v - (-x).exp()).abs() < 1e-12);
            assert!((g + s * s).abs() < 1e-12);
        }
    }

    #[test]
    fn layers_follow_the_edges() {
        let graph = sigmoid();
        // x and the constants -1, 1 and 1 in, one node per operation, each with two inputs but exp.
        let mut ops: Vec<&str> = graph.nodes.iter().map(|n| n.op.as_str()).collect();
        ops.sort_unstable();
        let expected = [
            "AddBackward",
            "DivBackward",
            "ExpBackward",
            "MulBackward",
            "constant",
            "constant",
            "constant",
            "x",
        ];
        assert_eq!(ops, expected);
        assert_eq!(graph.edges.len(), 7);
        assert_eq!(graph.nodes.last().map(|n| n.layer), Some(4));
        // Every edge goes one layer on, except into an operation with a deeper other input.
        for &(from, to) in &graph.edges {
            let deepest = graph
                .edges
                .iter()
                .filter(|e| e.1 == to)
                .map(|e| graph.nodes[e.0].layer)
                .max();
            assert_eq!(Some(graph.nodes[to].layer - 1), deepest);
            if graph.nodes[from].op == "constant" {
                assert_eq!(graph.nodes[from].layer + 1, graph.nodes[to].layer);
            }
        }
        // The chain runs along the first row.
        for n in graph.nodes.iter().filter(|n| n.op != "constant") {
            assert_eq!(n.row, 0, "{}", n.op);
        }
        for &(from, to) in &graph.edges {
            assert!(graph.nodes[from].layer < graph.nodes[to].layer);
        }
        let mut places: Vec<_> = graph.nodes.iter().map(|n| (n.layer, n.row)).collect();
        places.sort_unstable();
        places.dedup();
        assert_eq!(places.len(), graph.nodes.len(), "no two nodes in one place");
        assert!(graph.dot.starts_with("digraph"));
        let json = serde_json::to_string(&graph).expect("serialises");
        assert!(json.contains("\"op\":\"ExpBackward\""));
    }
}

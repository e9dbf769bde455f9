//! Exporting the graph behind a tensor in Graphviz's DOT language.

use std::fmt::Write;

use crate::autograd::Tensor;
use crate::kernels::Element;

impl<T: Element> Tensor<T> {
    /// The graph that produced this tensor, in Graphviz's DOT language: one box per operation
    /// (its `grad_fn` name and output shape), one ellipse per leaf, edges from inputs to results.
    /// Render it with `dot -Tsvg graph.dot -o graph.svg`.
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// let a = Tensor::<f32>::ones(&[2, 3]).requires_grad();
    /// let dot = (&a + 1.0).sum(None, false).to_dot();
    /// assert!(dot.starts_with("digraph"));
    /// assert!(dot.contains("AddBackward"));
    /// assert!(dot.contains("SumBackward"));
    /// ```
    pub fn to_dot(&self) -> String {
        let sorted = self.sorted_nodes();
        let nodes = sorted.nodes();
        // Numbered from this tensor, `n0`, to the leaves.
        let number =
            |tensor: &Tensor<T>| nodes.len() - 1 - sorted.index_of(tensor).expect("walked");
        let mut out = String::from("digraph ferrograd {\n  rankdir=BT;\n");
        for tensor in nodes.iter().rev() {
            let id = number(tensor);
            let shape = tensor.shape();
            let (label, style) = match tensor.grad_fn_name() {
                Some(name) => (name.trim_matches(['<', '>']).to_string(), "box"),
                None if tensor.needs_grad() => ("leaf (requires_grad)".to_string(), "ellipse"),
                None => ("constant".to_string(), "ellipse"),
            };
            let _ = writeln!(
                out,
                "  n{id} [label=\"{label}\\n{shape:?}\", shape={style}];"
            );
            for input in tensor.parents() {
                let _ = writeln!(out, "  n{} -> n{id};", number(&input));
            }
        }
        out.push_str("}\n");
        out
    }
}

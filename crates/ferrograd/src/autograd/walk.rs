//! The one walk over a recorded graph: every tensor a root was computed from, each after all of
//! its inputs. [`backward`](Tensor::backward) runs it backwards, [`to_dot`](Tensor::to_dot) and
//! the web page's graph draw what it finds.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::tensor::Tensor;
use crate::kernels::Element;

/// The tensors that lead to a root, each after all of its inputs and the root last (an
/// inputs-first, or topological, order), as [`Tensor::sorted_nodes`] finds them. A tensor used
/// several times is there once.
///
/// ```
/// use ferrograd::Tensor;
/// let x = Tensor::<f64>::ones(&[2]).requires_grad();
/// let y = &x * &x;
/// let z = &y + &x; // x reaches z twice: directly and through y
/// let sorted = z.sorted_nodes();
/// assert_eq!(sorted.nodes().len(), 3);
/// let at = |t: &Tensor<f64>| sorted.index_of(t).unwrap();
/// assert!(at(&x) < at(&y) && at(&y) < at(&z));
/// assert!(sorted.nodes().last().unwrap().same_node(&z));
/// ```
pub struct SortedNodes<T: Element> {
    nodes: Vec<Tensor<T>>,
    /// Each node's place in `nodes`, by [`Tensor::node_ptr`].
    index: HashMap<*const (), usize>,
}

/// The place of a node whose inputs are still being walked.
const PENDING: usize = usize::MAX;

impl<T: Element> SortedNodes<T> {
    /// The walk from `root` through the recorded inputs that `follow` accepts. It keeps its own
    /// stack instead of recursing, so a chain of any length cannot overflow the call stack, and
    /// the same graph always gives the same order.
    pub(crate) fn walk(root: &Tensor<T>, follow: impl Fn(&Tensor<T>) -> bool) -> Self {
        let mut nodes = Vec::new();
        let mut index = HashMap::new();
        // A node comes off the stack twice: first to push its inputs above it (`false`), then,
        // once they are all placed, to be placed itself (`true`).
        let mut stack = vec![(root.clone(), false)];
        while let Some((tensor, inputs_done)) = stack.pop() {
            if inputs_done {
                index.insert(tensor.node_ptr(), nodes.len());
                nodes.push(tensor);
                continue;
            }
            let Entry::Vacant(place) = index.entry(tensor.node_ptr()) else {
                continue;
            };
            place.insert(PENDING);
            let inputs = tensor.op().map_or(&[][..], |op| &op.inputs[..]);
            stack.push((tensor.clone(), true));
            stack.extend(
                inputs
                    .iter()
                    .filter(|input| follow(input) && !index.contains_key(&input.node_ptr()))
                    .map(|input| (input.clone(), false)),
            );
        }
        SortedNodes { nodes, index }
    }

    /// The nodes, inputs first, the root last.
    pub fn nodes(&self) -> &[Tensor<T>] {
        &self.nodes
    }

    /// Where `tensor` stands in [`nodes`](Self::nodes); `None` when the root does not depend on
    /// it.
    pub fn index_of(&self, tensor: &Tensor<T>) -> Option<usize> {
        self.index.get(&tensor.node_ptr()).copied()
    }
}

impl<T: Element> Tensor<T> {
    /// Every tensor this one was computed from, directly or through others, and this one, each
    /// after all of its inputs: the order in which a graph can be evaluated, and, reversed, the
    /// one in which [`backward`](Self::backward) passes gradients on. A leaf gives itself alone.
    pub fn sorted_nodes(&self) -> SortedNodes<T> {
        SortedNodes::walk(self, |_| true)
    }
}

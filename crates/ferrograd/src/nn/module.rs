//! The [`Module`] trait: something with parameters that maps a tensor to a tensor.

use crate::{Element, Tensor};

/// A layer or a model: a differentiable function of its input and of its parameters.
///
/// Implementors list their parameters by name ([`named_parameters`](Self::named_parameters));
/// the names are the keys used by [`save`](super::save) and [`load`](super::load).
///
/// ```
/// use ferrograd::nn::{Linear, Module};
/// use ferrograd::Tensor;
/// use rand::SeedableRng;
///
/// let layer = Linear::<f32>::new(3, 2, &mut rand::rngs::StdRng::seed_from_u64(0));
/// let y = layer.forward(&Tensor::ones(&[4, 3]));
/// assert_eq!(y.shape(), vec![4, 2]);
/// let names: Vec<String> = layer.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["weight", "bias"]);
/// ```
pub trait Module<T: Element = f32> {
    /// Applies the module to a batch `x`.
    fn forward(&self, x: &Tensor<T>) -> Tensor<T>;

    /// Every parameter with its name (such as `fc1.weight`), in a fixed order. The tensors are
    /// handles to the module's own parameters, so an optimizer updating them updates the module.
    fn named_parameters(&self) -> Vec<(String, Tensor<T>)>;

    /// Every parameter, in the order of [`named_parameters`](Self::named_parameters).
    fn parameters(&self) -> Vec<Tensor<T>> {
        self.named_parameters()
            .into_iter()
            .map(|(_, tensor)| tensor)
            .collect()
    }
}

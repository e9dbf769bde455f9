//! The [`Module`] trait: something with parameters that maps a tensor to a tensor.

use super::architecture::Architecture;
use crate::autograd::Tensor;
use crate::error::{TensorError, unwrap_or_fail};
use crate::kernels::Element;

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
/// let err = layer.try_forward(&Tensor::ones(&[4, 5])).unwrap_err();
/// assert_eq!(err.to_string(), "matmul: shapes [4, 5] and [3, 2] are not aligned: expected (p, q) @ (q, r)");
/// ```
pub trait Module<T: Element = f32> {
    /// Applies the module to a batch `x`, or says why it cannot (an input of the wrong shape).
    ///
    /// # Errors
    /// The [`TensorError`] of the first operation that `x` does not fit.
    fn try_forward(&self, x: &Tensor<T>) -> Result<Tensor<T>, TensorError>;

    /// Applies the module to a batch `x`.
    ///
    /// # Panics
    /// When `x` does not fit, with [`try_forward`](Self::try_forward)'s message.
    #[track_caller]
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        unwrap_or_fail(self.try_forward(x))
    }

    /// Every parameter with its name (such as `fc1.weight`), in a fixed order. The tensors are
    /// handles to the module's own parameters, so an optimizer updating them updates the module.
    fn named_parameters(&self) -> Vec<(String, Tensor<T>)>;

    /// The network this module is, for a model file to record beside its parameters (see
    /// [`save`](super::save)); `None`, the default, for a module that is not a whole network,
    /// such as a single [`Linear`](super::Linear) layer.
    fn architecture(&self) -> Option<Architecture> {
        None
    }

    /// Every parameter, in the order of [`named_parameters`](Self::named_parameters).
    fn parameters(&self) -> Vec<Tensor<T>> {
        self.named_parameters()
            .into_iter()
            .map(|(_, tensor)| tensor)
            .collect()
    }
}

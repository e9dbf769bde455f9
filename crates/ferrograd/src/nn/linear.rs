//! [`Linear`]: the fully connected layer `x·W + b`.

use ndarray::Array2;
use rand::{Rng, RngExt};

use super::module::Module;
use crate::autograd::Tensor;
use crate::error::TensorError;
use crate::kernels::Element;

/// A fully connected layer: `forward(x) = x·W + b` for a batch `x` of shape `(batch, in)`.
///
/// `weight` has shape `(in, out)` (the transpose of PyTorch's `nn.Linear.weight`) and `bias`
/// shape `(1, out)`, broadcast over the batch.
///
/// ```
/// use ferrograd::nn::{Linear, Module};
/// use ferrograd::Tensor;
/// use rand::SeedableRng;
///
/// let layer = Linear::<f64>::new(784, 10, &mut rand::rngs::StdRng::seed_from_u64(7));
/// assert_eq!((layer.weight.shape(), layer.bias.shape()), (vec![784, 10], vec![1, 10]));
/// let bound = (1.0f64 / 784.0).sqrt();
/// assert!(layer.weight.data().iter().all(|w| w.abs() <= bound));
/// assert_eq!(layer.forward(&Tensor::zeros(&[5, 784])).shape(), vec![5, 10]);
/// ```
#[derive(Debug)]
pub struct Linear<T: Element = f32> {
    /// The weight matrix, shape `(in, out)`; requires grad.
    pub weight: Tensor<T>,
    /// The bias row, shape `(1, out)`; requires grad.
    pub bias: Tensor<T>,
}

impl<T: Element> Linear<T> {
    /// A layer from `in_features` to `out_features` with PyTorch's default initialisation: every
    /// weight and bias drawn uniformly from `[-1/√in, 1/√in]` (zeros when `in_features` is 0).
    ///
    /// Values are drawn as `f64` (weight first, row by row, then bias) and rounded to `T`, so
    /// `f32` and `f64` layers made from equally seeded generators agree.
    pub fn new(in_features: usize, out_features: usize, rng: &mut impl Rng) -> Self {
        let bound = if in_features == 0 {
            0.0
        } else {
            (1.0 / in_features as f64).sqrt()
        };
        let mut uniform = |shape: (usize, usize)| {
            let values = Array2::from_shape_simple_fn(shape, || {
                T::from_f64(rng.random_range(-bound..=bound))
            });
            Tensor::from_array(values).requires_grad()
        };
        let weight = uniform((in_features, out_features));
        let bias = uniform((1, out_features));
        Linear { weight, bias }
    }
}

impl<T: Element> Module<T> for Linear<T> {
    /// `x·W + b`.
    ///
    /// # Errors
    /// [`TensorError::Matmul`] when `x` is not 2-d with `in` columns, naming both shapes.
    fn try_forward(&self, x: &Tensor<T>) -> Result<Tensor<T>, TensorError> {
        x.try_matmul_add(&self.weight, &self.bias)
    }

    /// `weight` and `bias`.
    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        vec![
            ("weight".to_string(), self.weight.clone()),
            ("bias".to_string(), self.bias.clone()),
        ]
    }
}

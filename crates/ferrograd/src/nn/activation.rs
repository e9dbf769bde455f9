//! [`Activation`]: the element-wise non-linearity between the layers of an [`Mlp`](super::Mlp).

use std::fmt;
use std::str::FromStr;

use crate::autograd::Tensor;
use crate::kernels::Element;

/// An element-wise non-linearity, named in lower case: `tanh`, `relu` or `sigmoid`.
///
/// ```
/// use ferrograd::nn::Activation;
/// use ferrograd::Tensor;
///
/// let relu: Activation = "relu".parse().unwrap();
/// assert_eq!(relu.to_string(), "relu");
/// let y = relu.apply(&Tensor::from_array(ndarray::array![-1.0f32, 2.0]));
/// assert_eq!(y.to_array(), ndarray::array![0.0, 2.0].into_dyn());
/// assert!("gelu".parse::<Activation>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// The hyperbolic tangent, onto `(-1, 1)`.
    Tanh,
    /// `max(x, 0)`.
    Relu,
    /// The logistic function `1 / (1 + e^-x)`, onto `(0, 1)`.
    Sigmoid,
}

impl Activation {
    /// Every activation, the original design's `tanh` first.
    pub const ALL: [Activation; 3] = [Activation::Tanh, Activation::Relu, Activation::Sigmoid];

    /// The activation's lowercase name, as parsed by [`FromStr`].
    pub fn name(self) -> &'static str {
        match self {
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
        }
    }

    /// Applies the non-linearity element-wise.
    pub fn apply<T: Element>(self, x: &Tensor<T>) -> Tensor<T> {
        match self {
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.relu(),
            Activation::Sigmoid => x.sigmoid(),
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an [`Activation`] from a name that is none of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown activation `{0}`: expected one of tanh, relu, sigmoid")]
pub struct ParseActivationError(pub String);

impl FromStr for Activation {
    type Err = ParseActivationError;

    /// Parses `tanh`, `relu` or `sigmoid`, ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Activation::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseActivationError(s.to_string()))
    }
}

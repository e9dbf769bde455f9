//! [`Mlp`]: a multi-layer perceptron, a stack of [`Linear`] layers with an [`Activation`]
//! between them.

use std::path::Path;

use rand::SeedableRng;
use rand::rngs::StdRng;
use safetensors::SafeTensors;

use super::activation::Activation;
use super::architecture::{Architecture, Assumption};
use super::checkpoint;
use super::error::CheckpointError;
use super::linear::Linear;
use super::module::Module;
use crate::autograd::Tensor;
use crate::error::TensorError;
use crate::kernels::Element;

/// A multi-layer perceptron: `Linear → activation → Linear → ... → Linear`, with the activation
/// after every layer except the last, which outputs raw scores (logits).
///
/// Its parameters are named `fc1.weight`, `fc1.bias`, `fc2.weight`, ... (layers counted from 1).
///
/// ```
/// use ferrograd::nn::{cross_entropy, Activation, Mlp, Module};
/// use ferrograd::Tensor;
///
/// let model = Mlp::<f32>::new(&[784, 256, 256, 10], Activation::Tanh, 42);
/// assert_eq!(model.parameters().len(), 6);
/// assert_eq!(model.named_parameters()[5].0, "fc3.bias");
///
/// let images = Tensor::zeros(&[32, 784]);
/// let loss = cross_entropy(&model.forward(&images), &[3; 32]);
/// loss.backward();
/// assert_eq!(model.parameters()[0].grad().unwrap().shape(), [784, 256]);
/// ```
#[derive(Debug)]
pub struct Mlp<T: Element = f32> {
    layers: Vec<Linear<T>>,
    sizes: Vec<usize>,
    activation: Activation,
}

impl<T: Element> Mlp<T> {
    /// An MLP with layer sizes `sizes` (input size first, output size last, e.g.
    /// `&[784, 256, 256, 10]` for two hidden layers of 256), initialised like
    /// [`Linear::new`] from a generator seeded with `seed`: the same seed gives the same
    /// weights, in `f32` and `f64` alike.
    ///
    /// # Panics
    /// When `sizes` has fewer than two entries.
    #[track_caller]
    pub fn new(sizes: &[usize], activation: Activation, seed: u64) -> Self {
        assert!(
            sizes.len() >= 2,
            "Mlp::new: expected at least two sizes (inputs and outputs), got {sizes:?}"
        );
        let mut rng = StdRng::seed_from_u64(seed);
        let layers = sizes
            .windows(2)
            .map(|pair| Linear::new(pair[0], pair[1], &mut rng))
            .collect();
        Mlp {
            layers,
            sizes: sizes.to_vec(),
            activation,
        }
    }

    /// An MLP rebuilt from a model file written by [`save`](super::save): the layer sizes are
    /// read from the shapes of `fc1.weight`, `fc2.weight`, ..., the activation from the file's
    /// [`Architecture`], and the parameters are loaded.
    ///
    /// `activation` is what the caller knows of the network: `None` to take the file's word,
    /// or the activation it was trained with, which must then be the one the file records. A
    /// file that records none (an older one, or another tool's) is read with `activation`, or
    /// tanh, and [`LoadedMlp::assumed`] says so.
    ///
    /// ```
    /// use ferrograd::nn::{save, Activation, Mlp};
    ///
    /// let path = std::env::temp_dir().join(format!("ferrograd-mlp-{}.safetensors", std::process::id()));
    /// save(&Mlp::<f64>::new(&[3, 5, 2], Activation::Sigmoid, 0), &path)?;
    /// let loaded = Mlp::<f64>::from_safetensors(&path, None)?;
    /// assert_eq!((loaded.mlp.sizes(), loaded.mlp.activation()), (&[3, 5, 2][..], Activation::Sigmoid));
    /// assert!(loaded.assumed.is_none()); // the file said what it holds
    /// assert!(Mlp::<f64>::from_safetensors(&path, Some(Activation::Tanh)).is_err()); // it is sigmoid
    /// assert!(Mlp::<f32>::from_safetensors(&path, None).is_err()); // F64 file
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The errors of [`load`](super::load); [`CheckpointError::WrongActivation`] when
    /// `activation` is not the one the file records; [`CheckpointError::NotAnMlp`] when a
    /// `fcN.weight` is not a 2-d tensor with positive sizes.
    pub fn from_safetensors(
        path: impl AsRef<Path>,
        activation: Option<Activation>,
    ) -> Result<LoadedMlp<T>, CheckpointError> {
        let path = path.as_ref();
        Mlp::from_safetensors_bytes(path, &checkpoint::read(path)?, activation)
    }

    /// As [`from_safetensors`](Self::from_safetensors), from the contents `bytes` of a file
    /// called `name` (used only in messages).
    ///
    /// ```
    /// use ferrograd::nn::{to_bytes, Activation, Mlp};
    ///
    /// let bytes = to_bytes(&Mlp::<f32>::new(&[3, 5, 2], Activation::Relu, 0))?;
    /// let model = Mlp::<f32>::from_safetensors_bytes("upload.safetensors", &bytes, None)?.mlp;
    /// assert_eq!((model.sizes(), model.activation()), (&[3, 5, 2][..], Activation::Relu));
    /// let err = Mlp::<f32>::from_safetensors_bytes("notes.txt", b"hello", None).unwrap_err();
    /// assert!(err.to_string().starts_with("notes.txt"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`from_safetensors`](Self::from_safetensors), naming `name`.
    pub fn from_safetensors_bytes(
        name: impl AsRef<Path>,
        bytes: &[u8],
        activation: Option<Activation>,
    ) -> Result<LoadedMlp<T>, CheckpointError> {
        let name = name.as_ref();
        let file = checkpoint::parse(name, bytes)?;
        let sizes = layer_sizes::<T>(name, &file.tensors)?;
        let (activation, assumed) = match &file.architecture {
            Some(recorded) => (activation.unwrap_or(recorded.activation), false),
            None => (activation.unwrap_or(Activation::Tanh), true),
        };
        let mlp = Mlp::new(&sizes, activation, 0);
        // Also checks the recorded sizes and dtype against the tensors, and the recorded
        // activation against the one asked for (a `WrongActivation`, as `load` reports it).
        checkpoint::copy_into(name, &file, &mlp)?;
        let assumed = assumed.then(|| Assumption {
            path: name.to_path_buf(),
            architecture: mlp.architecture().expect("an MLP has one"),
        });
        Ok(LoadedMlp { mlp, assumed })
    }

    /// The layer sizes, input size first.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// The activation between layers.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[Linear<T>] {
        &self.layers
    }
}

impl<T: Element> Module<T> for Mlp<T> {
    /// The output scores for a batch `x` of shape `(batch, sizes[0])`, of shape
    /// `(batch, sizes.last())`.
    ///
    /// # Errors
    /// [`TensorError::Matmul`] when `x` is not 2-d with `sizes[0]` columns.
    fn try_forward(&self, x: &Tensor<T>) -> Result<Tensor<T>, TensorError> {
        let (last, hidden) = self.layers.split_last().expect("at least one layer");
        let h = hidden.iter().try_fold(x.clone(), |h, layer| {
            Ok::<_, TensorError>(self.activation.apply(&layer.try_forward(&h)?))
        })?;
        last.try_forward(&h)
    }

    /// The sizes, the activation and the element type.
    fn architecture(&self) -> Option<Architecture> {
        Some(Architecture {
            sizes: self.sizes.clone(),
            activation: self.activation,
            dtype: checkpoint::dtype_of::<T>(),
        })
    }

    /// `fc1.weight`, `fc1.bias`, `fc2.weight`, ...
    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, layer)| {
                layer
                    .named_parameters()
                    .into_iter()
                    .map(move |(name, param)| (format!("fc{}.{name}", i + 1), param))
            })
            .collect()
    }
}

/// An MLP read from a model file by [`Mlp::from_safetensors`], and what was assumed about it.
#[derive(Debug)]
pub struct LoadedMlp<T: Element = f32> {
    /// The network, holding the file's parameters.
    pub mlp: Mlp<T>,
    /// `None` when the file recorded its architecture; otherwise what it was read as, for the
    /// caller to tell its user.
    pub assumed: Option<Assumption>,
}

/// The layer sizes `[in, out of fc1, out of fc2, ...]` read from the shapes of `fc1.weight`,
/// `fc2.weight`, ... (up to the first that is missing). Checking each weight's dtype here keeps
/// the model built from these sizes no larger than the file.
fn layer_sizes<T: Element>(
    path: &Path,
    file: &SafeTensors<'_>,
) -> Result<Vec<usize>, CheckpointError> {
    let mut sizes = Vec::new();
    for n in 1.. {
        let name = format!("fc{n}.weight");
        if n > 1 && file.tensor(&name).is_err() {
            break;
        }
        let weight = checkpoint::tensor_of::<T>(path, file, &name)?;
        let not_an_mlp = |problem: &str| CheckpointError::NotAnMlp {
            path: path.to_path_buf(),
            reason: format!("`{name}` has shape {:?}; {problem}", weight.shape()),
        };
        let &[rows, cols] = weight.shape() else {
            return Err(not_an_mlp("a layer's weight must be 2-d (in, out)"));
        };
        if rows == 0 || cols == 0 {
            return Err(not_an_mlp("layer sizes must be positive"));
        }
        match sizes.last() {
            None => sizes.push(rows),
            Some(&inputs) if inputs != rows => {
                return Err(CheckpointError::WrongShape {
                    path: path.to_path_buf(),
                    name,
                    expected: vec![inputs, cols],
                    found: vec![rows, cols],
                });
            }
            Some(_) => {}
        }
        sizes.push(cols);
    }
    Ok(sizes)
}

//! [`Architecture`]: what a model file says about the network its tensors belong to, so that it
//! can be read without being told how it was trained; [`Assumption`]: what was taken for granted
//! of a file that says nothing.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use safetensors::Dtype;

use super::activation::Activation;
use super::error::{CheckpointError, dtype_name};

/// The metadata key holding the version of the other keys.
const FORMAT_KEY: &str = "ferrograd.format";
/// The version of the keys this ferrograd writes and reads.
const FORMAT: &str = "1";
const SIZES_KEY: &str = "ferrograd.sizes";
const ACTIVATION_KEY: &str = "ferrograd.activation";
const DTYPE_KEY: &str = "ferrograd.dtype";

/// A multilayer perceptron's shape and kind: its layer sizes, its activation and the element
/// type of its parameters. [`Module::architecture`](super::Module::architecture) gives a
/// module's.
///
/// [`save`](super::save) and [`to_bytes`](super::to_bytes) record it in the safetensors
/// header's `__metadata__`, under these keys (format 1; every value is a string, as safetensors
/// requires):
///
/// | key | value | example |
/// | --- | --- | --- |
/// | `ferrograd.format` | the version of these keys | `1` |
/// | `ferrograd.sizes` | the layer sizes, input first, comma-separated | `784,256,256,10` |
/// | `ferrograd.activation` | the activation between the layers | `tanh`, `relu` or `sigmoid` |
/// | `ferrograd.dtype` | the parameters' element type | `float32` or `float64` |
///
/// The tensors are the same with or without these keys, so ferrograd before them, and any other
/// safetensors reader, reads the file as before. A file without `ferrograd.format` (written by
/// an older ferrograd, or by another tool) records nothing:
/// [`Mlp::from_safetensors`](super::Mlp::from_safetensors) then reads the sizes from the
/// tensors' shapes and takes the activation it is given, or tanh, and says so with an
/// [`Assumption`]. A later format is refused rather than misread
/// ([`CheckpointError::BadMetadata`]).
///
/// ```
/// use ferrograd::nn::{Activation, Architecture, Mlp, Module};
///
/// let model = Mlp::<f32>::new(&[784, 256, 256, 10], Activation::Relu, 0);
/// let architecture = model.architecture().unwrap();
/// assert_eq!(architecture.activation, Activation::Relu);
/// assert_eq!(architecture.to_string(), "784-256-256-10 relu float32");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Architecture {
    /// The layer sizes, input size first.
    pub sizes: Vec<usize>,
    /// The activation between the layers.
    pub activation: Activation,
    /// The parameters' element type: [`Dtype::F32`] or [`Dtype::F64`].
    pub dtype: Dtype,
}

impl Architecture {
    /// The metadata that records this architecture, keys in sorted order.
    pub(super) fn to_metadata(&self) -> BTreeMap<&'static str, String> {
        BTreeMap::from([
            (FORMAT_KEY, FORMAT.to_string()),
            (SIZES_KEY, join(&self.sizes, ",")),
            (ACTIVATION_KEY, self.activation.to_string()),
            (DTYPE_KEY, dtype_name(self.dtype)),
        ])
    }

    /// The architecture that the `metadata` of the file at `path` records; `None` when it has no
    /// `ferrograd.format` key (an older file, or another tool's).
    pub(super) fn from_metadata(
        path: &Path,
        metadata: &HashMap<String, String>,
    ) -> Result<Option<Self>, CheckpointError> {
        let Some(format) = metadata.get(FORMAT_KEY) else {
            return Ok(None);
        };
        let bad = |key: &str, problem: String| CheckpointError::BadMetadata {
            path: path.to_path_buf(),
            key: key.to_string(),
            problem,
        };
        if format != FORMAT {
            return Err(bad(
                FORMAT_KEY,
                format!(
                    "is {format:?}, a format this ferrograd does not know (it reads {FORMAT}); \
                     read the file with a newer ferrograd"
                ),
            ));
        }
        let value = |key: &str| {
            metadata
                .get(key)
                .ok_or_else(|| bad(key, format!("is missing (format {FORMAT} requires it)")))
        };
        let sizes = value(SIZES_KEY)?;
        let sizes = sizes
            .split(',')
            .map(|size| size.trim().parse::<usize>().ok().filter(|&s| s > 0))
            .collect::<Option<Vec<usize>>>()
            .filter(|s| s.len() >= 2)
            .ok_or_else(|| {
                bad(
                    SIZES_KEY,
                    format!("is {sizes:?}, not two or more positive sizes separated by commas"),
                )
            })?;
        let activation = value(ACTIVATION_KEY)?;
        let activation = activation
            .parse()
            .map_err(|error| bad(ACTIVATION_KEY, format!("is {activation:?}: {error}")))?;
        let dtype = value(DTYPE_KEY)?;
        let dtype = [Dtype::F32, Dtype::F64]
            .into_iter()
            .find(|&d| dtype_name(d) == *dtype)
            .ok_or_else(|| bad(DTYPE_KEY, format!("is {dtype:?}, not float32 or float64")))?;
        Ok(Some(Architecture {
            sizes,
            activation,
            dtype,
        }))
    }

    /// Checks that this architecture, which the file at `path` records, is `actual`'s, the
    /// architecture of the network its tensors are loaded into: a different activation is a
    /// [`CheckpointError::WrongActivation`]; different sizes or dtype, which the tensors have
    /// already been checked against, mean that the metadata contradicts the file's own tensors.
    pub(super) fn check(&self, path: &Path, actual: &Architecture) -> Result<(), CheckpointError> {
        let contradiction = |key: &str, recorded: String, tensors: String| {
            Err(CheckpointError::BadMetadata {
                path: path.to_path_buf(),
                key: key.to_string(),
                problem: format!("is {recorded} but the file's tensors are {tensors}"),
            })
        };
        if self.sizes != actual.sizes {
            return contradiction(
                SIZES_KEY,
                join(&self.sizes, ","),
                format!("those of a {} network", join(&actual.sizes, "-")),
            );
        }
        if self.dtype != actual.dtype {
            return contradiction(DTYPE_KEY, dtype_name(self.dtype), dtype_name(actual.dtype));
        }
        if self.activation != actual.activation {
            return Err(CheckpointError::WrongActivation {
                path: path.to_path_buf(),
                expected: actual.activation,
                found: self.activation,
            });
        }
        Ok(())
    }
}

impl fmt::Display for Architecture {
    /// `784-256-256-10 tanh float32`: the sizes, the activation and the dtype.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sizes, dtype) = (join(&self.sizes, "-"), dtype_name(self.dtype));
        write!(f, "{sizes} {} {dtype}", self.activation)
    }
}

/// What was taken for granted in reading a model file that records no architecture (one from an
/// older ferrograd, or from another tool): the sizes come from its tensors' shapes, the
/// activation from the caller, or tanh. Its message says so, naming the file; each program adds
/// how to give another activation in its own terms.
///
/// ```
/// use ferrograd::nn::{Activation, Mlp, Module};
/// use safetensors::{Dtype, tensor::TensorView};
///
/// // A file as ferrograd wrote them before they recorded their architecture: the tensors alone.
/// let model = Mlp::<f32>::new(&[3, 4, 2], Activation::Relu, 0);
/// let params: Vec<(String, Vec<usize>, Vec<u8>)> = model.named_parameters().into_iter()
///     .map(|(name, t)| (name, t.shape(), t.data().iter().flat_map(|x| x.to_le_bytes()).collect()))
///     .collect();
/// let views = params.iter().map(|(name, shape, bytes)| {
///     (name, TensorView::new(Dtype::F32, shape.clone(), bytes).unwrap())
/// });
/// let bytes = safetensors::serialize(views, None)?;
///
/// let loaded = Mlp::<f32>::from_safetensors_bytes("old.safetensors", &bytes, None)?;
/// assert_eq!(loaded.mlp.activation(), Activation::Tanh);
/// assert_eq!(
///     loaded.assumed.unwrap().to_string(),
///     "old.safetensors does not record its architecture (it has no ferrograd metadata), \
///      so it was read as 3-4-2 tanh float32"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assumption {
    /// The file.
    pub path: PathBuf,
    /// What it was read as.
    pub architecture: Architecture,
}

impl fmt::Display for Assumption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} does not record its architecture (it has no ferrograd metadata), so it was read \
             as {}",
            self.path.display(),
            self.architecture
        )
    }
}

/// `sizes` joined by `separator`.
fn join(sizes: &[usize], separator: &str) -> String {
    sizes
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

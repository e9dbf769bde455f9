//! Saving and loading parameters as [safetensors](https://github.com/huggingface/safetensors)
//! files, the format PyTorch, candle and NumPy read: [`save`], [`load`], [`CheckpointError`].
//! A module's [`Architecture`] goes into the file's metadata beside its tensors.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::{fs, io};

use ndarray::{ArcArray, IxDyn};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensorError, SafeTensors, View};

use super::architecture::Architecture;
use super::error::CheckpointError;
use super::module::Module;
use crate::kernels::Element;

/// Writes every named parameter of `module` to `path` as a safetensors file: one tensor per
/// parameter, with its shape, in little-endian `F32` or `F64`, and the module's
/// [`architecture`](Module::architecture), if it has one, in the file's metadata.
///
/// The file is written under a temporary name in the same folder, flushed to disk and then
/// renamed, so `path` holds either the old file or the complete new one, never a part.
///
/// ```
/// use ferrograd::nn::{load, save, Activation, Mlp, Module};
///
/// let path = std::env::temp_dir().join(format!("ferrograd-doc-{}.safetensors", std::process::id()));
/// let trained = Mlp::<f32>::new(&[4, 8, 3], Activation::Relu, 1);
/// save(&trained, &path)?;
///
/// let fresh = Mlp::<f32>::new(&[4, 8, 3], Activation::Relu, 2);
/// load(&fresh, &path)?;
/// assert_eq!(fresh.parameters()[0].to_array(), trained.parameters()[0].to_array());
///
/// // The file says it holds a relu network.
/// let tanh = Mlp::<f32>::new(&[4, 8, 3], Activation::Tanh, 2);
/// assert!(load(&tanh, &path).unwrap_err().to_string().ends_with("records activation relu, not tanh"));
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`CheckpointError::Write`] when the file cannot be written.
pub fn save<T: Element>(
    module: &impl Module<T>,
    path: impl AsRef<Path>,
) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let write_error = |source| CheckpointError::Write {
        path: path.to_path_buf(),
        source,
    };
    let bytes = to_bytes(module).map_err(|e| write_error(io::Error::other(e)))?;
    crate::atomic::write(path, &bytes).map_err(write_error)
}

/// The safetensors file [`save`] writes, as bytes: to send over a network or offer as a
/// download.
///
/// ```
/// use ferrograd::nn::{load_bytes, to_bytes, Activation, Mlp, Module};
///
/// let trained = Mlp::<f32>::new(&[4, 8, 3], Activation::Tanh, 1);
/// let bytes = to_bytes(&trained)?;
/// let fresh = Mlp::<f32>::new(&[4, 8, 3], Activation::Tanh, 2);
/// load_bytes(&fresh, "model.safetensors", &bytes)?;
/// assert_eq!(fresh.parameters()[0].to_array(), trained.parameters()[0].to_array());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// What the safetensors writer reports (only for tensors too large to describe).
pub fn to_bytes<T: Element>(module: &impl Module<T>) -> Result<Vec<u8>, SafeTensorError> {
    let tensors = module
        .named_parameters()
        .into_iter()
        .map(|(name, param)| (name, LeBytes::new(&param.data())));
    let file = safetensors::serialize(tensors, None)?;
    Ok(match module.architecture() {
        Some(architecture) => with_metadata(file, &architecture.to_metadata()),
        None => file,
    })
}

/// `file`, a safetensors file without metadata as `safetensors::serialize` writes it, with
/// `metadata` added as its header's `__metadata__`, in the order given; the tensors and their
/// bytes stay as they were. (safetensors' writer takes the metadata as a `HashMap`, whose order,
/// and so the file's bytes, would change from one run to the next.)
fn with_metadata(file: Vec<u8>, metadata: &BTreeMap<&str, String>) -> Vec<u8> {
    let (len, rest) = file.split_at(8);
    let len = u64::from_le_bytes(len.try_into().expect("8 bytes")) as usize;
    let (header, data) = rest.split_at(len);
    // The header is a JSON object, padded with spaces: keep what follows its `{`.
    let fields = header
        .trim_ascii_end()
        .strip_prefix(b"{")
        .expect("a safetensors header is a JSON object");
    let metadata = serde_json::to_string(metadata).expect("strings serialise");
    let mut header = format!("{{\"__metadata__\":{metadata}").into_bytes();
    if fields != b"}" {
        header.push(b',');
    }
    header.extend_from_slice(fields);
    // Padded to a multiple of 8 bytes, as safetensors does, so the data stays aligned.
    header.resize(header.len().next_multiple_of(8), b' ');
    [&(header.len() as u64).to_le_bytes()[..], &header, data].concat()
}

/// Copies the tensors of the safetensors file at `path` into the parameters of `module`, in
/// place, matching them by name.
///
/// Nothing is copied unless every parameter has a tensor of its shape and dtype, every tensor is
/// a parameter, and the architecture the file records, if any, is the module's (a file that
/// records none is read as the module's). No file content makes this panic. See [`save`] for an
/// example.
///
/// # Errors
/// A [`CheckpointError`] naming the file and the first problem found.
pub fn load<T: Element>(
    module: &impl Module<T>,
    path: impl AsRef<Path>,
) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let bytes = read(path)?;
    copy_into(path, &parse(path, &bytes)?, module)
}

/// As [`load`], from the contents `bytes` of a safetensors file called `name` (the name is only
/// used in errors): a file a user picked in a browser, say. See [`to_bytes`] for an example.
///
/// # Errors
/// A [`CheckpointError`] naming `name` and the first problem found.
pub fn load_bytes<T: Element>(
    module: &impl Module<T>,
    name: impl AsRef<Path>,
    bytes: &[u8],
) -> Result<(), CheckpointError> {
    let name = name.as_ref();
    copy_into(name, &parse(name, bytes)?, module)
}

/// The bytes of the file at `path`.
pub(super) fn read(path: &Path) -> Result<Vec<u8>, CheckpointError> {
    fs::read(path).map_err(|source| CheckpointError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// A safetensors file's tensors and the architecture its metadata records.
pub(super) struct Parsed<'a> {
    /// The tensors.
    pub(super) tensors: SafeTensors<'a>,
    /// What the file says about its network; `None` when it says nothing.
    pub(super) architecture: Option<Architecture>,
}

/// `bytes`, read from `path`, parsed as a safetensors file.
pub(super) fn parse<'a>(path: &Path, bytes: &'a [u8]) -> Result<Parsed<'a>, CheckpointError> {
    let invalid = |source| match source {
        SafeTensorError::HeaderTooSmall
        | SafeTensorError::InvalidHeaderLength
        | SafeTensorError::MetadataIncompleteBuffer => CheckpointError::Truncated {
            path: path.to_path_buf(),
            len: bytes.len(),
        },
        source => CheckpointError::NotSafetensors {
            path: path.to_path_buf(),
            source,
        },
    };
    // `SafeTensors` keeps the header's metadata to itself, so the header is read for it first
    // (and dropped before the tensors are read, so the two are never held at once).
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(invalid)?;
    let architecture = match header.metadata() {
        Some(metadata) => Architecture::from_metadata(path, metadata)?,
        None => None,
    };
    drop(header);
    let tensors = SafeTensors::deserialize(bytes).map_err(invalid)?;
    Ok(Parsed {
        tensors,
        architecture,
    })
}

/// The tensor `name` of `file`, checked to hold elements of type `T`.
pub(super) fn tensor_of<'a, T: Element>(
    path: &Path,
    file: &SafeTensors<'a>,
    name: &str,
) -> Result<TensorView<'a>, CheckpointError> {
    let view = file
        .tensor(name)
        .map_err(|_| CheckpointError::MissingTensor {
            path: path.to_path_buf(),
            name: name.to_string(),
        })?;
    if view.dtype() != dtype_of::<T>() {
        return Err(CheckpointError::WrongDtype {
            path: path.to_path_buf(),
            name: name.to_string(),
            expected: dtype_of::<T>(),
            found: view.dtype(),
        });
    }
    Ok(view)
}

/// Checks that `file` holds exactly the parameters of `module`, with their shapes and dtype, and
/// records the module's architecture or none, and then copies them in.
pub(super) fn copy_into<T: Element>(
    path: &Path,
    parsed: &Parsed<'_>,
    module: &impl Module<T>,
) -> Result<(), CheckpointError> {
    let file = &parsed.tensors;
    let params = module.named_parameters();
    let mut sources = Vec::with_capacity(params.len());
    for (name, param) in &params {
        let view = tensor_of::<T>(path, file, name)?;
        if view.shape() != param.shape() {
            return Err(CheckpointError::WrongShape {
                path: path.to_path_buf(),
                name: name.clone(),
                expected: param.shape(),
                found: view.shape().to_vec(),
            });
        }
        sources.push(view);
    }
    let mut names = file.names();
    names.sort_unstable();
    if let Some(extra) = names
        .into_iter()
        .find(|n| params.iter().all(|(name, _)| name != n))
    {
        return Err(CheckpointError::UnexpectedTensor {
            path: path.to_path_buf(),
            name: extra.to_string(),
        });
    }
    if let (Some(recorded), Some(actual)) = (&parsed.architecture, module.architecture()) {
        recorded.check(path, &actual)?;
    }
    for ((_, param), source) in params.iter().zip(sources) {
        copy_from_le_bytes(&mut param.data_mut(), source.data());
    }
    Ok(())
}

/// The safetensors dtype of `T`: `F32` or `F64`, the only two [`Element`] types.
pub(super) fn dtype_of<T: Element>() -> Dtype {
    if size_of::<T>() == 4 {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

/// Overwrites `target`, in row-major order, with the little-endian values in `bytes`.
fn copy_from_le_bytes<T: Element>(target: &mut ArcArray<T, IxDyn>, bytes: &[u8]) {
    let chunks = bytes.chunks_exact(size_of::<T>());
    for (x, chunk) in target.iter_mut().zip(chunks) {
        *x = match dtype_of::<T>() {
            Dtype::F32 => {
                T::from_f64(f32::from_le_bytes(chunk.try_into().expect("4 bytes")).into())
            }
            _ => T::from_f64(f64::from_le_bytes(chunk.try_into().expect("8 bytes"))),
        };
    }
}

/// A parameter's values as a safetensors tensor: shape and row-major little-endian bytes.
struct LeBytes {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl LeBytes {
    fn new<T: Element>(data: &ArcArray<T, IxDyn>) -> Self {
        let bytes = match dtype_of::<T>() {
            Dtype::F32 => data
                .iter()
                .flat_map(|&x| (x.to_f64() as f32).to_le_bytes())
                .collect(),
            _ => data
                .iter()
                .flat_map(|&x| x.to_f64().to_le_bytes())
                .collect(),
        };
        LeBytes {
            dtype: dtype_of::<T>(),
            shape: data.shape().to_vec(),
            bytes,
        }
    }
}

impl View for LeBytes {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

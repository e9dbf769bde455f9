//! What goes wrong saving or loading a module's parameters.

use std::io;
use std::path::PathBuf;

use safetensors::{Dtype, SafeTensorError};

use super::activation::Activation;

/// Why a checkpoint could not be saved or loaded. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file could not be read (missing, unreadable, a folder, ...).
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file could not be written (missing folder, no permission, disk full, ...).
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file's header is not a valid safetensors header.
    #[error("{} is not a safetensors file: {source}", .path.display())]
    NotSafetensors {
        /// The file.
        path: PathBuf,
        /// What the safetensors parser found wrong.
        source: SafeTensorError,
    },
    /// The file is shorter than its header says (cut short while being written or downloaded),
    /// or, more rarely, longer.
    #[error(
        "{} is truncated: its {len} bytes do not match the sizes its safetensors header declares",
        .path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The file's length in bytes.
        len: usize,
    },
    /// A parameter of the module has no tensor in the file.
    #[error("{} has no tensor `{name}`", .path.display())]
    MissingTensor {
        /// The file.
        path: PathBuf,
        /// The parameter's name, such as `fc2.bias`.
        name: String,
    },
    /// The file holds a tensor that is none of the module's parameters (it was saved from a
    /// different model).
    #[error("{} has a tensor `{name}` that the model has no parameter for", .path.display())]
    UnexpectedTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
    },
    /// A tensor whose shape differs from its parameter's.
    #[error("{}: tensor `{name}` has shape {found:?}, expected {expected:?}", .path.display())]
    WrongShape {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The parameter's shape.
        expected: Vec<usize>,
        /// The tensor's shape in the file.
        found: Vec<usize>,
    },
    /// A tensor whose element type differs from the module's, named as NumPy and PyTorch name
    /// them (`float32`, `float64`, `int64`, ...).
    #[error(
        "{}: tensor `{name}` has dtype {}, expected {}",
        .path.display(),
        dtype_name(*.found),
        dtype_name(*.expected)
    )]
    WrongDtype {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The module's dtype.
        expected: Dtype,
        /// The tensor's dtype in the file.
        found: Dtype,
    },
    /// The file records a different activation from the network's it is loaded into (the one
    /// asked for, or the module's).
    #[error("{} records activation {found}, not {expected}", .path.display())]
    WrongActivation {
        /// The file.
        path: PathBuf,
        /// The activation asked for, or the module's.
        expected: Activation,
        /// The activation the file records.
        found: Activation,
    },
    /// The file's ferrograd metadata (see [`Architecture`](super::Architecture)) is incomplete, malformed, of a later
    /// format, or contradicts the file's own tensors.
    #[error("{}: metadata `{key}` {problem}", .path.display())]
    BadMetadata {
        /// The file.
        path: PathBuf,
        /// The key, such as `ferrograd.sizes`.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The tensors do not describe an [`Mlp`](super::Mlp) (see
    /// [`Mlp::from_safetensors`](super::Mlp::from_safetensors)).
    #[error("{} does not describe an MLP: {reason}", .path.display())]
    NotAnMlp {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The usual name of a safetensors element type, as NumPy and PyTorch name it and as model files
/// record it: `float32` for `F32`, `int64` for `I64`, `bfloat16` for `BF16`, `bool` for `BOOL`.
pub(super) fn dtype_name(dtype: Dtype) -> String {
    let name = dtype.to_string();
    let (kind, bits) = name.split_at(name.find(|c: char| c.is_ascii_digit()).unwrap_or(0));
    let kind = match kind {
        "F" => "float",
        "BF" => "bfloat",
        "I" => "int",
        "U" => "uint",
        _ => kind,
    };
    format!("{kind}{bits}").to_lowercase()
}

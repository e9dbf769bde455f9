//! The error type of the data loader.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while loading an IDX data set.
///
/// Every variant names the file (or folder) it is about, and its message says
/// what is wrong in plain words, so it can be shown to the user as is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The data folder does not exist (or is not a folder).
    #[error(
        "data folder {} does not exist; create it and put the four IDX files there \
         (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, \
         t10k-labels-idx1-ubyte, each optionally gzip-compressed with a .gz suffix)",
        .dir.display()
    )]
    MissingDir {
        /// The folder that was looked for.
        dir: PathBuf,
    },

    /// Neither the gzip-compressed nor the raw version of a file was found.
    #[error(
        "missing data file: looked for {name}.gz and {name} in {}; \
         put one of them (gzip-compressed or raw) in that folder",
        .dir.display()
    )]
    MissingFile {
        /// The folder that was searched.
        dir: PathBuf,
        /// The file name without the `.gz` suffix.
        name: String,
    },

    /// The file exists but could not be opened or read.
    #[error("could not read {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },

    /// The file has zero bytes.
    #[error("{} is empty (0 bytes); the download was probably interrupted", .path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },

    /// The file ends before its IDX header is complete.
    #[error(
        "{} is truncated: its IDX header needs {expected} bytes but only {actual} are present",
        .path.display()
    )]
    TruncatedHeader {
        /// The file.
        path: PathBuf,
        /// Header size in bytes.
        expected: usize,
        /// Bytes present.
        actual: usize,
    },

    /// The file ends before all the data its header declares.
    #[error(
        "{} is truncated: its header declares {expected} bytes of data but only {actual} are present",
        .path.display()
    )]
    TruncatedData {
        /// The file.
        path: PathBuf,
        /// Data size declared by the header, in bytes (decompressed).
        expected: u64,
        /// Data bytes present (decompressed).
        actual: u64,
    },

    /// The file continues after the data its header declares.
    #[error(
        "{} has extra bytes after the {expected} bytes of data its header declares",
        .path.display()
    )]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// Data size declared by the header, in bytes (decompressed).
        expected: u64,
    },

    /// The file name ends in `.gz` but the file does not start with the gzip magic bytes.
    #[error(
        "{} is named .gz but is not gzip-compressed (it does not start with 1f 8b); \
         rename it without .gz if it is a raw IDX file",
        .path.display()
    )]
    NotGzip {
        /// The file.
        path: PathBuf,
    },

    /// The gzip stream is damaged (bad deflate data, checksum or length).
    #[error(
        "{} is a corrupt or incomplete gzip file ({source}); download it again",
        .path.display()
    )]
    CorruptGzip {
        /// The file.
        path: PathBuf,
        /// The error reported by the decompressor.
        source: io::Error,
    },

    /// The IDX magic number is not the one expected for this kind of file.
    #[error(
        "{} has IDX magic number {found:#010x}, expected {expected:#010x} \
         (0x00000803 = images, 0x00000801 = labels)",
        .path.display()
    )]
    WrongMagic {
        /// The file.
        path: PathBuf,
        /// Magic number found in the file.
        found: u32,
        /// Magic number expected.
        expected: u32,
    },

    /// The dimensions in the header are unusable (zero-sized images, a total
    /// size that overflows, or a shape that differs from the training images).
    #[error("{} has wrong dimensions: {reason}", .path.display())]
    WrongDimensions {
        /// The file.
        path: PathBuf,
        /// What is wrong with them.
        reason: String,
    },

    /// The images file and the labels file hold different numbers of items.
    #[error(
        "{} holds {images} images but {} holds {labels} labels",
        .images_path.display(),
        .labels_path.display()
    )]
    CountMismatch {
        /// The images file.
        images_path: PathBuf,
        /// Number of images.
        images: usize,
        /// The labels file.
        labels_path: PathBuf,
        /// Number of labels.
        labels: usize,
    },

    /// A label is not a valid class index.
    #[error(
        "{}: label {label} at index {index} is out of range (labels must be {})",
        .path.display(),
        valid_labels(*.classes)
    )]
    LabelOutOfRange {
        /// The labels file.
        path: PathBuf,
        /// Position of the label in the file.
        index: usize,
        /// The offending label.
        label: u8,
        /// The number of classes: labels must be below it.
        classes: usize,
    },
}

/// The labels valid for `classes` classes, as an error message shows them: `0..=9` for 10.
fn valid_labels(classes: usize) -> String {
    match classes {
        0 => "absent: there are no classes".to_string(),
        _ => format!("0..={}", classes - 1),
    }
}

//! Loading IDX image data sets (MNIST, Fashion-MNIST, KMNIST, ...) and
//! iterating over them in shuffled mini-batches.
//!
//! [`Mnist::load`] reads the four [`FILE_NAMES`] from a folder, each either
//! gzip-compressed (`NAME.gz`, preferred) or raw (`NAME`). Images stay bytes
//! in memory; [`Dataset::batches`] converts them to `f32` or `f64` in `[0, 1]`
//! one batch at a time. Damaged or unexpected files give a [`DataError`] that
//! names the file and the problem; no input makes the loader panic or
//! allocate much more memory than the file holds.
//!
//! Where the files are: [`Mnist::named_dir`] is the folder the caller named, else `$MNIST_DIR`.
//! With the cargo feature `download`, `Mnist::find_or_download` completes the rule that
//! `ferrograd train` and Python's `load_mnist` share: else the user's cache folder, where the
//! four files are downloaded from public mirrors and checked against their SHA-256
//! (`data::download`).
//!
//! # Example
//!
//! ```
//! use ferrograd::data::{FILE_NAMES, Mnist};
//!
//! // Write a tiny data set of two 2×3 images: a header, then the bytes.
//! let dir = std::env::temp_dir().join(format!("ferrograd-data-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let images = [&[0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3][..], &[0, 51, 102, 153, 204, 255], &[255; 6]];
//! let labels = [&[0, 0, 8, 1, 0, 0, 0, 2][..], &[7, 3]];
//! for (name, parts) in FILE_NAMES.iter().zip([&images[..], &labels, &images, &labels]) {
//!     std::fs::write(dir.join(name), parts.concat())?;
//! }
//!
//! let mnist = Mnist::load(&dir)?;
//! assert_eq!((mnist.train.len(), mnist.train.features()), (2, 6));
//! assert_eq!(mnist.train.label(0), 7);
//!
//! let (train, validation) = mnist.train.split_at(1);
//! assert_eq!((train.len(), validation.len()), (1, 1));
//!
//! let batch = mnist.test.batches::<f32>(2, None).next().unwrap();
//! assert_eq!(batch.images.row(0).to_vec(), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
//! assert_eq!(batch.labels, [7, 3]);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batches;
mod dataset;
#[cfg(feature = "download")]
mod download;
mod error;
mod idx;
mod mnist;

pub use batches::{Batch, Batches, epoch_seed};
pub use dataset::Dataset;
#[cfg(feature = "download")]
pub use download::{
    DownloadError, MIRRORS_VAR, MNIST_FILES, MNIST_MIRRORS, MirrorError, MirrorFailure, download,
    sha256_file,
};
pub use error::DataError;
pub use mnist::{FILE_NAMES, Mnist, Split};

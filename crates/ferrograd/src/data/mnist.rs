//! The four-file MNIST layout, shared by Fashion-MNIST, KMNIST and others.

use std::path::{Path, PathBuf};

use super::dataset::Dataset;
use super::error::DataError;

/// The four files of an MNIST-style data set, without the optional `.gz`
/// suffix: training images, training labels, test images, test labels.
pub const FILE_NAMES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// One of the two splits of an MNIST-style data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// The training set (60,000 images for MNIST).
    Train,
    /// The test set (10,000 images for MNIST).
    Test,
}

impl Split {
    /// The names of this split's images and labels files, from [`FILE_NAMES`].
    pub const fn file_names(self) -> [&'static str; 2] {
        match self {
            Split::Train => [FILE_NAMES[0], FILE_NAMES[1]],
            Split::Test => [FILE_NAMES[2], FILE_NAMES[3]],
        }
    }
}

/// An MNIST-style data set: a training split and a test split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mnist {
    /// The training split.
    pub train: Dataset,
    /// The test split.
    pub test: Dataset,
}

impl Mnist {
    /// The number of classes of every data set in this layout (digits, clothes, ...): 10.
    pub const CLASSES: usize = 10;

    /// Loads the four [`FILE_NAMES`] from `dir`, taking `NAME.gz` if present
    /// and the raw `NAME` otherwise.
    ///
    /// # Errors
    ///
    /// [`DataError::MissingDir`] or [`DataError::MissingFile`] (checked for
    /// all four files before reading any), any error of [`Dataset::load`],
    /// and [`DataError::WrongDimensions`] if the test images are not the same
    /// size as the training images.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, DataError> {
        let dir = dir.as_ref();
        let [train_images, train_labels] = split_paths(dir, Split::Train)?;
        let [test_images, test_labels] = split_paths(dir, Split::Test)?;
        let train = Dataset::load(train_images, train_labels, Mnist::CLASSES)?;
        let test = Dataset::load(&test_images, test_labels, Mnist::CLASSES)?;
        if (test.rows(), test.cols()) != (train.rows(), train.cols()) {
            return Err(DataError::WrongDimensions {
                path: test_images,
                reason: format!(
                    "its images are {}×{} but the training images are {}×{}",
                    test.rows(),
                    test.cols(),
                    train.rows(),
                    train.cols()
                ),
            });
        }
        Ok(Mnist { train, test })
    }

    /// The folder the caller named: `dir`, else `$MNIST_DIR`; `None` when neither names one.
    /// (With the `download` feature, `Mnist::find_or_download` takes the user's cache folder
    /// then.)
    ///
    /// ```
    /// use std::path::Path;
    /// use ferrograd::data::Mnist;
    ///
    /// assert_eq!(Mnist::named_dir(Some(Path::new("mnist"))).unwrap(), Path::new("mnist"));
    /// ```
    pub fn named_dir(dir: Option<&Path>) -> Option<PathBuf> {
        dir.map(Path::to_path_buf)
            .or_else(|| std::env::var_os("MNIST_DIR").map(PathBuf::from))
    }

    /// Loads only one split from `dir`, e.g. the test set for evaluation.
    ///
    /// # Errors
    ///
    /// As [`Mnist::load`], without the size comparison.
    pub fn load_split(dir: impl AsRef<Path>, split: Split) -> Result<Dataset, DataError> {
        let [images, labels] = split_paths(dir.as_ref(), split)?;
        Dataset::load(images, labels, Mnist::CLASSES)
    }
}

/// The paths of a split's images and labels files in `dir`.
fn split_paths(dir: &Path, split: Split) -> Result<[PathBuf; 2], DataError> {
    if !dir.is_dir() {
        return Err(DataError::MissingDir {
            dir: dir.to_path_buf(),
        });
    }
    let [images, labels] = split.file_names();
    Ok([find_file(dir, images)?, find_file(dir, labels)?])
}

/// `dir/NAME.gz` if it exists, else `dir/NAME` if it exists.
fn find_file(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    [format!("{name}.gz"), name.to_owned()]
        .into_iter()
        .map(|file| dir.join(file))
        .find(|path| path.is_file())
        .ok_or_else(|| DataError::MissingFile {
            dir: dir.to_path_buf(),
            name: name.to_owned(),
        })
}

//! A labelled set of grayscale images: one split of an IDX data set.

use std::fmt;
use std::path::Path;

use super::error::DataError;
use super::idx;

/// Labelled grayscale images, kept as raw bytes (`0..=255` per pixel).
///
/// Build one with [`Dataset::load`] or [`Mnist::load`](super::Mnist::load);
/// turn it into `[0, 1]`-scaled float batches with [`Dataset::batches`].
/// Every label is checked to be below the number of classes given when loading.
#[derive(Clone, PartialEq, Eq)]
pub struct Dataset {
    /// `len * rows * cols` pixels, image after image, row after row.
    images: Vec<u8>,
    labels: Vec<u8>,
    rows: usize,
    cols: usize,
    classes: usize,
}

impl Dataset {
    /// Reads a split of a data set with `classes` classes from an IDX images file and an IDX
    /// labels file.
    ///
    /// Each file is read as gzip if its name ends in `.gz`, raw otherwise.
    ///
    /// # Errors
    ///
    /// Any [`DataError`] about either file, plus [`DataError::CountMismatch`]
    /// if they hold different numbers of items and
    /// [`DataError::LabelOutOfRange`] if a label is not below `classes`.
    pub fn load(
        images_path: impl AsRef<Path>,
        labels_path: impl AsRef<Path>,
        classes: usize,
    ) -> Result<Self, DataError> {
        let (images_path, labels_path) = (images_path.as_ref(), labels_path.as_ref());
        let images = idx::read_images(images_path)?;
        let labels = idx::read_labels(labels_path)?;
        Dataset::new(images, images_path, labels, labels_path, classes)
    }

    /// Parses a split of a data set with `classes` classes from the contents of an IDX images
    /// file and an IDX labels file, such as files fetched over the network. The names are those
    /// of the files, used in errors and to tell gzip (a name ending in `.gz`) from raw.
    ///
    /// ```
    /// use ferrograd::data::{Dataset, Mnist};
    ///
    /// // Two 2×3 images and their labels, as raw IDX files.
    /// let mut images = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3];
    /// images.extend(0..12);
    /// let labels = [0, 0, 8, 1, 0, 0, 0, 2, 7, 1];
    /// let split = Dataset::from_idx_bytes("images-idx3-ubyte", &images, "labels-idx1-ubyte", &labels, Mnist::CLASSES)?;
    /// assert_eq!((split.len(), split.rows(), split.cols()), (2, 2, 3));
    /// assert_eq!(split.label(1), 1);
    ///
    /// let err = Dataset::from_idx_bytes("images.gz", &images, "labels", &labels, 10).unwrap_err();
    /// assert!(err.to_string().contains("images.gz"));
    /// # Ok::<(), ferrograd::data::DataError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Dataset::load`], naming `images_name` or `labels_name`.
    pub fn from_idx_bytes(
        images_name: impl AsRef<Path>,
        images: &[u8],
        labels_name: impl AsRef<Path>,
        labels: &[u8],
        classes: usize,
    ) -> Result<Self, DataError> {
        let (images_name, labels_name) = (images_name.as_ref(), labels_name.as_ref());
        let images = idx::parse_images(images_name, images)?;
        let labels = idx::parse_labels(labels_name, labels)?;
        Dataset::new(images, images_name, labels, labels_name, classes)
    }

    /// A split from parsed images and labels, checked to match and to be below `classes`.
    fn new(
        images: idx::Images,
        images_path: &Path,
        labels: Vec<u8>,
        labels_path: &Path,
        classes: usize,
    ) -> Result<Self, DataError> {
        if images.count != labels.len() {
            return Err(DataError::CountMismatch {
                images_path: images_path.to_path_buf(),
                images: images.count,
                labels_path: labels_path.to_path_buf(),
                labels: labels.len(),
            });
        }
        if let Some(index) = labels.iter().position(|&l| usize::from(l) >= classes) {
            return Err(DataError::LabelOutOfRange {
                path: labels_path.to_path_buf(),
                index,
                label: labels[index],
                classes,
            });
        }
        Ok(Dataset {
            images: images.pixels,
            labels,
            rows: images.rows,
            cols: images.cols,
            classes,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Height of an image in pixels.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Width of an image in pixels.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Pixels per image (`rows * cols`): the input size of a model.
    pub fn features(&self) -> usize {
        self.rows * self.cols
    }

    /// Number of classes, as given to [`load`](Self::load): the output size of a model.
    ///
    /// It is the same for every split, even one that happens to lack a class.
    pub fn num_classes(&self) -> usize {
        self.classes
    }

    /// All pixels, `len() * features()` bytes, image after image.
    pub fn images(&self) -> &[u8] {
        &self.images
    }

    /// All labels, one per image, each below [`num_classes`](Self::num_classes).
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The pixels of image `i`, `features()` bytes, row after row.
    ///
    /// # Panics
    ///
    /// If `i >= len()`.
    pub fn image(&self, i: usize) -> &[u8] {
        let features = self.features();
        &self.images[i * features..(i + 1) * features]
    }

    /// The label of image `i`.
    ///
    /// # Panics
    ///
    /// If `i >= len()`.
    pub fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }

    /// Splits into the first `n` images and the rest, e.g. to carve a
    /// validation set off the end of the training set.
    ///
    /// MNIST's training images are not sorted by class, so taking the last
    /// images as validation set is fine.
    ///
    /// # Panics
    ///
    /// If `n > len()`.
    pub fn split_at(mut self, n: usize) -> (Dataset, Dataset) {
        assert!(
            n <= self.len(),
            "split_at({n}) on a data set of {} images",
            self.len()
        );
        let rest = Dataset {
            images: self.images.split_off(n * self.features()),
            labels: self.labels.split_off(n),
            rows: self.rows,
            cols: self.cols,
            classes: self.classes,
        };
        (self, rest)
    }
}

/// Shows the shape, not the (many) bytes.
impl fmt::Debug for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dataset")
            .field("len", &self.len())
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .finish_non_exhaustive()
    }
}

//! Iterating over a data set in (shuffled) mini-batches of floats.

use ndarray::{Array2, ArrayViewMut2, Axis};
use num_traits::Float;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::dataset::Dataset;
use crate::autograd::Tensor;
use crate::kernels::{Element, parts_for, run_each};

/// Each thread converting part of a batch gets at least this many pixels.
const MIN_PIXELS_PER_PART: usize = 8 * 1024;

/// A mini-batch: images as floats in `[0, 1]` and their labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch<T> {
    /// One image per row (`batch × features`), each pixel scaled as `x / 255`.
    pub images: Array2<T>,
    /// The class of each row of `images`.
    pub labels: Vec<usize>,
}

/// An empty batch, to be filled by [`Batches::next_into`].
impl<T: Float> Default for Batch<T> {
    fn default() -> Self {
        Batch {
            images: Array2::zeros((0, 0)),
            labels: Vec::new(),
        }
    }
}

impl Dataset {
    /// Iterates over the images in batches of `batch_size`, as floats scaled
    /// to `[0, 1]` (pixel / 255).
    ///
    /// With `shuffle: Some(seed)` the order is a random permutation that
    /// depends only on `seed`; with `None` it is the file order. To get a new
    /// order every epoch, derive the seed from the epoch, e.g.
    /// `Some(seed.wrapping_add(epoch))` (neighbouring seeds give unrelated
    /// orders). The last batch may be smaller than `batch_size`; call
    /// [`Batches::drop_last`] to skip it.
    ///
    /// # Panics
    ///
    /// If `batch_size` is 0.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn main() -> Result<(), ferrograd::data::DataError> {
    /// use ferrograd::data::Mnist;
    ///
    /// let mnist = Mnist::load("data/mnist")?;
    /// for epoch in 0..3 {
    ///     for batch in mnist.train.batches::<f32>(32, Some(42 + epoch)).drop_last(true) {
    ///         assert_eq!(batch.images.dim(), (32, 784));
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn batches<T: Float + Send + Sync>(
        &self,
        batch_size: usize,
        shuffle: Option<u64>,
    ) -> Batches<'_, T> {
        Batches::new(self, batch_size, shuffle)
    }
}

/// Iterator over the batches of one epoch, made by [`Dataset::batches`].
///
/// Either use it as an [`Iterator`] (one new [`Batch`] per step) or call
/// [`Batches::next_into`] to refill the same batch without allocating.
///
/// ```
/// # use ferrograd::data::{Batch, Dataset};
/// # fn train(dataset: &Dataset) {
/// let mut batch = Batch::<f32>::default();
/// let mut batches = dataset.batches(32, Some(7)).drop_last(true);
/// while batches.next_into(&mut batch) {
///     assert_eq!(batch.images.nrows(), 32);
/// }
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Batches<'a, T> {
    dataset: &'a Dataset,
    /// The order of the epoch; `order[next..]` is still to come.
    order: Vec<usize>,
    next: usize,
    batch_size: usize,
    drop_last: bool,
    /// Which share of each batch this iterator yields, of how many: `(0, 1)` for all of it.
    share: (usize, usize),
    /// `scale[p] = p / 255`.
    scale: [T; 256],
}

impl<'a, T: Float + Send + Sync> Batches<'a, T> {
    /// See [`Dataset::batches`].
    pub(crate) fn new(dataset: &'a Dataset, batch_size: usize, shuffle: Option<u64>) -> Self {
        assert!(batch_size > 0, "batch size must be at least 1");
        let mut order: Vec<usize> = (0..dataset.len()).collect();
        if let Some(seed) = shuffle {
            order.shuffle(&mut StdRng::seed_from_u64(seed));
        }
        // 0, 1, ..., 255 are exact in every float type, and so is counting up.
        let mut scale = [T::zero(); 256];
        for p in 1..scale.len() {
            scale[p] = scale[p - 1] + T::one();
        }
        let max = scale[255];
        Batches {
            dataset,
            order,
            next: 0,
            batch_size,
            drop_last: false,
            share: (0, 1),
            scale: scale.map(|x| x / max),
        }
    }

    /// Whether to skip the final batch if it is smaller than the batch size
    /// (default `false`). Training usually drops it; evaluation keeps it.
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// Yields only share `index` of `count` of each batch, for `count` processes that train
    /// together, each on its share of every batch: rows `index·n/count .. (index+1)·n/count` of
    /// the batch of `n` images that the whole iterator would yield. Together the shares are
    /// that batch, in its order; a share has `n/count` rows, rounded down or up.
    ///
    /// ```
    /// # use ferrograd::data::Dataset;
    /// # fn check(dataset: &Dataset) {
    /// let whole = dataset.batches::<f32>(32, Some(7)).next().unwrap();
    /// let second = dataset.batches::<f32>(32, Some(7)).share(1, 2).next().unwrap();
    /// assert_eq!(second.labels, whole.labels[16..]);
    /// # }
    /// ```
    ///
    /// # Panics
    /// When `index` is not below `count`.
    #[track_caller]
    pub fn share(mut self, index: usize, count: usize) -> Self {
        assert!(
            index < count,
            "share {index} of {count}: the index must be below the count"
        );
        self.share = (index, count);
        self
    }

    /// Skips the first `batches` batches of the epoch without assembling them, to continue an
    /// epoch that was interrupted: the same seed gives the same order, so the batches that follow
    /// are the ones the whole epoch would have had. Past the end, nothing is left.
    ///
    /// ```
    /// # use ferrograd::data::Dataset;
    /// # fn check(dataset: &Dataset) {
    /// let whole: Vec<_> = dataset.batches::<f32>(32, Some(7)).collect();
    /// let rest: Vec<_> = dataset.batches::<f32>(32, Some(7)).starting_at(5).collect();
    /// assert_eq!(whole[5..], rest[..]);
    /// # }
    /// ```
    pub fn starting_at(mut self, batches: usize) -> Self {
        self.next = batches
            .saturating_mul(self.batch_size)
            .min(self.order.len());
        self
    }

    /// Fills `batch` with the next batch, reusing its memory when the size
    /// matches; returns `false` (leaving `batch` as it was) at the end.
    pub fn next_into(&mut self, batch: &mut Batch<T>) -> bool {
        let size = self.batch_size.min(self.order.len() - self.next);
        if size == 0 || (self.drop_last && size < self.batch_size) {
            return false;
        }
        let indices = &self.order[self.next..self.next + size];
        self.next += size;
        let (index, count) = self.share;
        let indices = &indices[size * index / count..size * (index + 1) / count];
        let size = indices.len();

        let features = self.dataset.features();
        if batch.images.dim() != (size, features) {
            batch.images = Array2::zeros((size, features));
        }
        batch.labels.clear();
        batch
            .labels
            .extend(indices.iter().map(|&i| usize::from(self.dataset.label(i))));
        let convert = |(mut block, indices): (ArrayViewMut2<T>, &[usize])| {
            // The images lie scattered over the data set. Reading one byte of each cache line
            // first lets the CPU fetch them all at once, where the conversion below alone waits
            // for one line at a time.
            let mut touched = 0u8;
            for &i in indices {
                for line in self.dataset.image(i).chunks(64) {
                    touched ^= line[0];
                }
            }
            std::hint::black_box(touched);
            for (mut row, &i) in block.rows_mut().into_iter().zip(indices) {
                for (x, &pixel) in row.iter_mut().zip(self.dataset.image(i)) {
                    *x = self.scale[usize::from(pixel)];
                }
            }
        };
        // Blocks of rows on all threads: each waits for its images to arrive from memory.
        let rows = size.div_ceil(parts_for(size * features, MIN_PIXELS_PER_PART));
        let images = batch.images.axis_chunks_iter_mut(Axis(0), rows);
        run_each(
            images.zip(indices.chunks(rows)).collect(),
            size * features,
            convert,
        );
        true
    }
}

impl<T: Element> Batches<'_, T> {
    /// Fills the input tensor `images` with the next batch's images and `labels` with its
    /// labels, reusing the tensor's buffer (no copy: it moves out of the tensor, is filled, and
    /// moves back); returns `false` (leaving both as they were) at the end. A training loop
    /// feeds one tensor this way, step after step.
    ///
    /// ```
    /// # use ferrograd::{Tensor, data::Dataset};
    /// # fn check(dataset: &Dataset) {
    /// let x = Tensor::<f32>::zeros(&[0, 0]);
    /// let mut labels = Vec::new();
    /// let mut batches = dataset.batches::<f32>(32, Some(0));
    /// while batches.next_into_tensor(&x, &mut labels) {
    ///     assert_eq!(x.shape()[0], labels.len());
    /// }
    /// # }
    /// ```
    pub fn next_into_tensor(&mut self, images: &Tensor<T>, labels: &mut Vec<usize>) -> bool {
        let mut data = images.data_mut();
        let mut batch = Batch {
            images: std::mem::take(&mut *data)
                .into_owned()
                .into_dimensionality()
                .unwrap_or_default(),
            labels: std::mem::take(labels),
        };
        let filled = self.next_into(&mut batch);
        *data = batch.images.into_dyn().into_shared();
        *labels = batch.labels;
        filled
    }
}

/// The shuffle seed for epoch `epoch` of a run seeded with `seed`: the same `seed` gives the
/// same orders, and each epoch a new one.
///
/// ```
/// use ferrograd::data::epoch_seed;
/// assert_ne!(epoch_seed(0, 1), epoch_seed(0, 2));
/// assert_eq!(epoch_seed(7, 3), epoch_seed(7, 3));
/// ```
pub fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ epoch as u64
}

impl<T: Float + Send + Sync> Iterator for Batches<'_, T> {
    type Item = Batch<T>;

    fn next(&mut self) -> Option<Batch<T>> {
        let mut batch = Batch::default();
        self.next_into(&mut batch).then_some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.order.len() - self.next;
        let batches = if self.drop_last {
            left / self.batch_size
        } else {
            left.div_ceil(self.batch_size)
        };
        (batches, Some(batches))
    }
}

impl<T: Float + Send + Sync> ExactSizeIterator for Batches<'_, T> {}

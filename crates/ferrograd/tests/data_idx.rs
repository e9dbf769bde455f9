//! Tests of `ferrograd::data`: IDX files written by the tests themselves
//! (raw and gzip), every error case, batches, fuzzing, and the real MNIST.

mod common;

use std::path::PathBuf;

use ferrograd::data::{Batch, DataError, Dataset, FILE_NAMES, Mnist, Split};
use flate2::Compression;
use proptest::prelude::*;

use common::{TempDir, gzip_at, idx_header};

// ---------------------------------------------------------------- helpers

fn idx_images(count: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    [idx_header(0x803, &[count, rows, cols]), pixels.to_vec()].concat()
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    [idx_header(0x801, &[labels.len() as u32]), labels.to_vec()].concat()
}

/// `bytes` gzip-compressed at the default level.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_at(Compression::default(), bytes)
}

/// `n` images of `rows × cols` whose pixels count up (mod 256).
fn pixels(n: usize, rows: usize, cols: usize) -> Vec<u8> {
    (0..n * rows * cols).map(|i| (i % 256) as u8).collect()
}

/// Writes a small valid data set: 5 training and 3 test images of 2×3.
/// The training files are gzip-compressed, the test files raw.
fn write_small_mnist(dir: &TempDir) {
    let [train_images, train_labels, test_images, test_labels] = FILE_NAMES;
    dir.write(
        &format!("{train_images}.gz"),
        &gzip(&idx_images(5, 2, 3, &pixels(5, 2, 3))),
    );
    dir.write(
        &format!("{train_labels}.gz"),
        &gzip(&idx_labels(&[5, 0, 4, 1, 9])),
    );
    dir.write(test_images, &idx_images(3, 2, 3, &[255; 18]));
    dir.write(test_labels, &idx_labels(&[7, 2, 1]));
}

/// Loads a single images/labels pair where only the images file is under test.
fn load_images(dir: &TempDir, name: &str, bytes: &[u8]) -> Result<Dataset, DataError> {
    let images = dir.write(name, bytes);
    let labels = dir.write("labels", &idx_labels(&[0, 1]));
    Dataset::load(images, labels, 10)
}

/// Asserts that the error's message mentions `name`, and returns the message.
fn message_mentions(err: &DataError, name: &str) -> String {
    let message = err.to_string();
    assert!(
        message.contains(name),
        "message {message:?} does not mention {name:?}"
    );
    message
}

// ---------------------------------------------------------------- loading

#[test]
fn loads_gzip_and_raw_files() {
    let dir = TempDir::new();
    write_small_mnist(&dir);
    let mnist = Mnist::load(&dir.0).unwrap();

    let train = &mnist.train;
    assert_eq!((train.len(), train.rows(), train.cols()), (5, 2, 3));
    assert_eq!(train.features(), 6);
    assert_eq!(train.num_classes(), Mnist::CLASSES);
    assert_eq!(train.images(), pixels(5, 2, 3));
    assert_eq!(train.labels(), [5, 0, 4, 1, 9]);
    assert_eq!(train.image(1), [6, 7, 8, 9, 10, 11]);
    assert_eq!(train.label(4), 9);

    assert_eq!(mnist.test.len(), 3);
    assert_eq!(mnist.test.image(2), [255; 6]);
    assert_eq!(mnist.test.labels(), [7, 2, 1]);
    assert!(format!("{train:?}").contains("len: 5"));

    assert_eq!(Mnist::load_split(&dir.0, Split::Test).unwrap(), mnist.test);
}

#[test]
fn bytes_parse_like_files() {
    let dir = TempDir::new();
    write_small_mnist(&dir);
    let mnist = Mnist::load(&dir.0).unwrap();
    let [train_images, train_labels, test_images, test_labels] = FILE_NAMES;
    let read = |name: &str| std::fs::read(dir.0.join(name)).unwrap();
    let (images_gz, labels_gz) = (format!("{train_images}.gz"), format!("{train_labels}.gz"));
    let train = Dataset::from_idx_bytes(
        &images_gz,
        &read(&images_gz),
        &labels_gz,
        &read(&labels_gz),
        10,
    )
    .unwrap();
    assert_eq!(train, mnist.train);
    let test = Dataset::from_idx_bytes(
        test_images,
        &read(test_images),
        test_labels,
        &read(test_labels),
        10,
    )
    .unwrap();
    assert_eq!(test, mnist.test);

    // The same checks as for files, naming the given names.
    let raw = idx_images(5, 2, 3, &pixels(5, 2, 3));
    let labels = idx_labels(&[5, 0, 4, 1, 9]);
    let err = Dataset::from_idx_bytes("upload.gz", &raw, "l", &labels, 10).unwrap_err();
    assert!(matches!(err, DataError::NotGzip { .. }), "{err}");
    message_mentions(&err, "upload.gz");
    let err = Dataset::from_idx_bytes("i", &raw[..raw.len() - 1], "l", &labels, 10).unwrap_err();
    assert!(matches!(err, DataError::TruncatedData { .. }), "{err}");
    let err = Dataset::from_idx_bytes("i", &raw, "l", &idx_labels(&[5, 0, 4, 1]), 10).unwrap_err();
    assert!(matches!(err, DataError::CountMismatch { .. }), "{err}");
    message_mentions(&err, "l");
    let err = Dataset::from_idx_bytes("i", &[], "l", &labels, 10).unwrap_err();
    assert!(matches!(err, DataError::Empty { .. }), "{err}");
    let err = Dataset::from_idx_bytes("i", &raw, "five-classes", &labels, 5).unwrap_err();
    assert!(
        matches!(err, DataError::LabelOutOfRange { label: 5, .. }),
        "{err}"
    );
    message_mentions(&err, "five-classes");
}

#[test]
fn prefers_gzip_over_raw() {
    let dir = TempDir::new();
    write_small_mnist(&dir);
    let [_, _, test_images, test_labels] = FILE_NAMES;
    dir.write(
        &format!("{test_images}.gz"),
        &gzip(&idx_images(1, 2, 3, &[1; 6])),
    );
    dir.write(&format!("{test_labels}.gz"), &gzip(&idx_labels(&[8])));
    let test = Mnist::load_split(&dir.0, Split::Test).unwrap();
    assert_eq!((test.len(), test.label(0)), (1, 8));
}

#[test]
fn file_names_match_splits() {
    assert_eq!(Split::Train.file_names(), FILE_NAMES[..2]);
    assert_eq!(Split::Test.file_names(), FILE_NAMES[2..]);
}

#[test]
fn loads_empty_split() {
    let dir = TempDir::new();
    let images = dir.write("images", &idx_images(0, 28, 28, &[]));
    let labels = dir.write("labels.gz", &gzip(&idx_labels(&[])));
    let empty = Dataset::load(images, labels, 10).unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.batches::<f32>(4, Some(1)).count(), 0);
}

#[test]
fn split_at_carves_validation_set() {
    let dir = TempDir::new();
    write_small_mnist(&dir);
    let train = Mnist::load(&dir.0).unwrap().train;
    let all = train.clone();
    let (head, tail) = train.split_at(3);
    assert_eq!((head.len(), tail.len()), (3, 2));
    assert_eq!(head.labels(), [5, 0, 4]);
    assert_eq!(tail.labels(), [1, 9]);
    assert_eq!(tail.image(0), all.image(3));
    assert_eq!((tail.rows(), tail.cols()), (2, 3));

    let (all_again, none) = all.clone().split_at(5);
    assert_eq!((all_again, none.len()), (all, 0));
}

#[test]
#[should_panic(expected = "split_at(6)")]
fn split_at_past_end_panics() {
    let dir = TempDir::new();
    write_small_mnist(&dir);
    let _ = Mnist::load(&dir.0).unwrap().train.split_at(6);
}

// ---------------------------------------------------------------- errors

#[test]
fn missing_dir() {
    let dir = TempDir::new();
    let missing = dir.0.join("no-such-folder");
    let err = Mnist::load(&missing).unwrap_err();
    assert!(matches!(&err, DataError::MissingDir { dir } if *dir == missing));
    message_mentions(&err, "no-such-folder");
}

#[test]
fn missing_file() {
    let dir = TempDir::new();
    write_small_mnist(&dir);
    std::fs::remove_file(dir.0.join(FILE_NAMES[3])).unwrap();
    let err = Mnist::load(&dir.0).unwrap_err();
    assert!(matches!(&err, DataError::MissingFile { name, .. } if name == FILE_NAMES[3]));
    let message = message_mentions(&err, "t10k-labels-idx1-ubyte.gz");
    assert!(message.contains(&dir.0.display().to_string()));
}

#[test]
fn empty_file() {
    let dir = TempDir::new();
    let err = load_images(&dir, "empty-images", &[]).unwrap_err();
    assert!(matches!(err, DataError::Empty { .. }), "{err:?}");
    message_mentions(&err, "empty-images");
}

#[test]
fn truncated_header() {
    let dir = TempDir::new();
    let header = idx_header(0x803, &[2, 2, 3]);
    for (name, bytes, actual) in [
        ("short-raw", header[..10].to_vec(), 10),
        ("short.gz", gzip(&header[..10]), 10),
        ("magic-only", header[..3].to_vec(), 3),
        ("nothing.gz", gzip(&[]), 0),
    ] {
        let err = load_images(&dir, name, &bytes).unwrap_err();
        assert!(
            matches!(err, DataError::TruncatedHeader { expected: 16, actual: a, .. } if a == actual),
            "{name}: {err:?}"
        );
        message_mentions(&err, name);
    }
}

#[test]
fn truncated_data() {
    let dir = TempDir::new();
    let bytes = idx_images(2, 2, 3, &pixels(2, 2, 3)[..7]);
    for (name, bytes) in [("cut", bytes.clone()), ("cut.gz", gzip(&bytes))] {
        let err = load_images(&dir, name, &bytes).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::TruncatedData {
                    expected: 12,
                    actual: 7,
                    ..
                }
            ),
            "{name}: {err:?}"
        );
        let message = message_mentions(&err, name);
        assert!(message.contains("12") && message.contains('7'), "{message}");
    }
}

#[test]
fn huge_claim_in_small_file_is_an_error_not_an_allocation() {
    let dir = TempDir::new();
    // u32::MAX images of 65535 × 65535 pixels: about 2^64 bytes claimed.
    let bytes = idx_images(u32::MAX, 0xffff, 0xffff, &[0; 84]);
    for (name, bytes) in [("huge", bytes.clone()), ("huge.gz", gzip(&bytes))] {
        let err = load_images(&dir, name, &bytes).unwrap_err();
        assert!(
            matches!(err, DataError::TruncatedData { actual: 84, .. }),
            "{name}: {err:?}"
        );
    }
    let labels = dir.write("labels-huge", &idx_header(0x801, &[u32::MAX]));
    let err = Dataset::load(dir.0.join("huge"), labels, 10).unwrap_err();
    assert!(matches!(err, DataError::TruncatedData { .. }), "{err:?}");
}

#[test]
fn trailing_bytes() {
    let dir = TempDir::new();
    let bytes = idx_images(2, 2, 3, &[1; 13]);
    for (name, bytes) in [("long", bytes.clone()), ("long.gz", gzip(&bytes))] {
        let err = load_images(&dir, name, &bytes).unwrap_err();
        assert!(
            matches!(err, DataError::TrailingBytes { expected: 12, .. }),
            "{name}: {err:?}"
        );
        message_mentions(&err, name);
    }
}

#[test]
fn gz_suffix_on_raw_file() {
    let dir = TempDir::new();
    let err = load_images(&dir, "raw.gz", &idx_images(2, 2, 3, &[0; 12])).unwrap_err();
    assert!(matches!(err, DataError::NotGzip { .. }), "{err:?}");
    message_mentions(&err, "raw.gz");
}

#[test]
fn corrupt_gzip() {
    let dir = TempDir::new();
    let good = gzip(&idx_images(2, 2, 3, &pixels(2, 2, 3)));
    let n = good.len();

    let mut bad_crc = good.clone();
    bad_crc[n - 8] ^= 0xff; // the CRC-32 of the decompressed data
    let mut bad_size = good.clone();
    bad_size[n - 4] ^= 0xff; // the decompressed size
    let mut bad_deflate = good.clone();
    bad_deflate[10] = 0xff; // first deflate block header: reserved type 3
    let mut bad_flags = good.clone();
    bad_flags[2] = 0; // compression method other than deflate

    for (name, bytes) in [
        ("crc.gz", bad_crc),
        ("size.gz", bad_size),
        ("deflate.gz", bad_deflate),
        ("method.gz", bad_flags),
        ("cut-trailer.gz", good[..n - 4].to_vec()),
        ("cut-stream.gz", good[..n / 2].to_vec()),
    ] {
        let err = load_images(&dir, name, &bytes).unwrap_err();
        assert!(
            matches!(err, DataError::CorruptGzip { .. }),
            "{name}: {err:?}"
        );
        message_mentions(&err, name);
    }
}

#[test]
fn wrong_magic() {
    let dir = TempDir::new();
    // A labels file where an images file belongs.
    let err = load_images(&dir, "swapped", &idx_labels(&[1, 2])).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::WrongMagic {
                found: 0x801,
                expected: 0x803,
                ..
            }
        ),
        "{err:?}"
    );
    let message = message_mentions(&err, "swapped");
    assert!(message.contains("0x00000801") && message.contains("0x00000803"));

    // An images file where a labels file belongs, and random junk.
    let images = dir.write("images", &idx_images(2, 2, 3, &[0; 12]));
    let err = Dataset::load(&images, &images, 10).unwrap_err();
    assert!(matches!(
        err,
        DataError::WrongMagic {
            found: 0x803,
            expected: 0x801,
            ..
        }
    ));
    let err = load_images(&dir, "html", b"<!DOCTYPE html>").unwrap_err();
    assert!(matches!(
        err,
        DataError::WrongMagic {
            found: 0x3c21_444f,
            ..
        }
    ));
}

#[test]
fn wrong_dimensions() {
    let dir = TempDir::new();
    for (name, rows, cols) in [("no-rows", 0, 3), ("no-cols", 2, 0)] {
        let err = load_images(&dir, name, &idx_images(2, rows, cols, &[])).unwrap_err();
        assert!(matches!(err, DataError::WrongDimensions { .. }), "{err:?}");
        message_mentions(&err, name);
    }
    if usize::BITS == 64 {
        // 2^32 - 1 cubed does not fit in 64 bits.
        let err = load_images(
            &dir,
            "overflow",
            &idx_images(u32::MAX, u32::MAX, u32::MAX, &[]),
        )
        .unwrap_err();
        assert!(matches!(err, DataError::WrongDimensions { .. }), "{err:?}");
        assert!(message_mentions(&err, "overflow").contains("overflows"));
    }
}

#[test]
fn test_images_must_match_train_size() {
    let dir = TempDir::new();
    write_small_mnist(&dir);
    dir.write(FILE_NAMES[2], &idx_images(3, 3, 2, &[0; 18]));
    let err = Mnist::load(&dir.0).unwrap_err();
    assert!(matches!(err, DataError::WrongDimensions { .. }), "{err:?}");
    let message = message_mentions(&err, FILE_NAMES[2]);
    assert!(
        message.contains("3×2") && message.contains("2×3"),
        "{message}"
    );
}

#[test]
fn count_mismatch() {
    let dir = TempDir::new();
    let images = dir.write("three-images", &idx_images(3, 2, 3, &[0; 18]));
    let labels = dir.write("two-labels", &idx_labels(&[0, 1]));
    let err = Dataset::load(images, labels, 10).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                images: 3,
                labels: 2,
                ..
            }
        ),
        "{err:?}"
    );
    message_mentions(&err, "three-images");
    message_mentions(&err, "two-labels");
}

#[test]
fn label_out_of_range() {
    let dir = TempDir::new();
    let images = dir.write("images", &idx_images(4, 1, 1, &[0; 4]));
    let labels = dir.write("bad-labels.gz", &gzip(&idx_labels(&[9, 0, 10, 255])));
    let err = Dataset::load(images, labels, 10).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::LabelOutOfRange {
                index: 2,
                label: 10,
                classes: 10,
                ..
            }
        ),
        "{err:?}"
    );
    let message = message_mentions(&err, "bad-labels.gz");
    assert!(
        message.contains("index 2") && message.contains("label 10"),
        "{message}"
    );
}

#[test]
fn unreadable_path_is_io_error() {
    let dir = TempDir::new();
    // A folder where a file is expected: opening may succeed, reading fails.
    std::fs::create_dir(dir.0.join("a-folder")).unwrap();
    let labels = dir.write("labels", &idx_labels(&[0]));
    let err = Dataset::load(dir.0.join("a-folder"), labels, 10).unwrap_err();
    assert!(
        matches!(err, DataError::Io { .. } | DataError::Empty { .. }),
        "{err:?}"
    );
    message_mentions(&err, "a-folder");
}

// ---------------------------------------------------------------- batches

fn small_train() -> Dataset {
    let dir = TempDir::new();
    let images = dir.write("images", &idx_images(10, 1, 2, &pixels(10, 1, 2)));
    let labels = dir.write("labels", &idx_labels(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    Dataset::load(images, labels, 10).unwrap()
}

fn order(dataset: &Dataset, seed: Option<u64>) -> Vec<usize> {
    dataset
        .batches::<f32>(3, seed)
        .flat_map(|batch| batch.labels)
        .collect()
}

#[test]
fn batches_scale_pixels_to_unit_interval() {
    let dir = TempDir::new();
    let images = dir.write("images", &idx_images(2, 1, 3, &[0, 51, 255, 1, 128, 254]));
    let labels = dir.write("labels", &idx_labels(&[3, 4]));
    let dataset = Dataset::load(images, labels, 10).unwrap();

    let batch: Batch<f64> = dataset.batches(2, None).next().unwrap();
    let expected = [0.0, 51.0, 255.0, 1.0, 128.0, 254.0].map(|p| p / 255.0);
    assert_eq!(batch.images.as_slice().unwrap(), expected);
    assert_eq!(batch.labels, [3, 4]);

    let batch: Batch<f32> = dataset.batches(2, None).next().unwrap();
    assert_eq!(batch.images.row(0).to_vec(), [0.0, 0.2, 1.0]);
}

#[test]
fn batches_in_file_order_without_shuffle() {
    let dataset = small_train();
    let batches: Vec<Batch<f32>> = dataset.batches(4, None).collect();
    let sizes: Vec<_> = batches.iter().map(|b| b.images.dim()).collect();
    assert_eq!(sizes, [(4, 2), (4, 2), (2, 2)]);
    assert_eq!(batches[2].labels, [8, 9]);
    assert_eq!(
        batches[2].images.row(1).to_vec(),
        [18.0 / 255.0, 19.0 / 255.0]
    );
}

#[test]
fn drop_last_skips_partial_batch() {
    let dataset = small_train();
    let batches = dataset.batches::<f32>(4, Some(3)).drop_last(true);
    assert_eq!(batches.len(), 2);
    assert!(batches.map(|b| b.labels.len()).all(|n| n == 4));

    let all = dataset.batches::<f32>(4, Some(3));
    assert_eq!(all.len(), 3);
    assert_eq!(dataset.batches::<f32>(5, None).drop_last(true).len(), 2);
    assert_eq!(dataset.batches::<f32>(11, None).drop_last(true).count(), 0);
    assert_eq!(dataset.batches::<f32>(11, None).count(), 1);
}

#[test]
fn starting_at_continues_the_same_order() {
    let dataset = small_train();
    let whole: Vec<Batch<f32>> = dataset.batches(3, Some(9)).collect();
    assert_eq!(whole.len(), 4);
    for start in 0..=4 {
        let rest: Vec<Batch<f32>> = dataset.batches(3, Some(9)).starting_at(start).collect();
        assert_eq!(rest[..], whole[start..], "starting at batch {start}");
    }
    assert_eq!(
        dataset.batches::<f32>(3, Some(9)).starting_at(99).count(),
        0
    );
    assert_eq!(
        dataset
            .batches::<f32>(3, Some(9))
            .drop_last(true)
            .starting_at(2)
            .len(),
        1
    );
}

#[test]
fn shuffle_is_a_deterministic_permutation() {
    let dataset = small_train();
    let shuffled = order(&dataset, Some(42));
    let mut sorted = shuffled.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..10).collect::<Vec<_>>());

    assert_eq!(order(&dataset, Some(42)), shuffled, "same seed, same order");
    assert_eq!(order(&dataset, None), sorted, "no seed, file order");
    let orders: std::collections::HashSet<_> = (0..5)
        .map(|epoch| order(&dataset, Some(42 + epoch)))
        .collect();
    assert_eq!(orders.len(), 5, "each epoch's seed gives a new order");
}

#[test]
fn shuffled_images_stay_with_their_labels() {
    let dataset = small_train();
    for batch in dataset.batches::<f64>(3, Some(9)) {
        for (row, &label) in batch.images.rows().into_iter().zip(&batch.labels) {
            let expected: Vec<f64> = dataset
                .image(label)
                .iter()
                .map(|&p| f64::from(p) / 255.0)
                .collect();
            assert_eq!(row.to_vec(), expected);
        }
    }
}

#[test]
fn next_into_reuses_the_buffer() {
    let dataset = small_train();
    let mut batch = Batch::<f32>::default();
    let mut batches = dataset.batches(4, Some(5));
    let expected: Vec<Batch<f32>> = dataset.batches(4, Some(5)).collect();

    assert!(batches.next_into(&mut batch));
    let buffer = batch.images.as_ptr();
    assert_eq!(batch, expected[0]);
    assert!(batches.next_into(&mut batch));
    assert_eq!(batch.images.as_ptr(), buffer, "same size, same buffer");
    assert_eq!(batch, expected[1]);
    assert!(batches.next_into(&mut batch));
    assert_eq!(batch, expected[2]);
    assert!(!batches.next_into(&mut batch));
    assert_eq!(batch, expected[2], "left as it was at the end");
}

#[test]
#[should_panic(expected = "batch size")]
fn zero_batch_size_panics() {
    let _ = small_train().batches::<f32>(0, None);
}

// ---------------------------------------------------------------- fuzzing

/// A folder with a valid images file and a valid labels file, to pair with
/// the file under test.
struct Fuzz {
    dir: TempDir,
    images: PathBuf,
    labels: PathBuf,
}

impl Fuzz {
    fn new() -> Self {
        let dir = TempDir::new();
        let images = dir.write("valid-images", &idx_images(2, 1, 1, &[0, 1]));
        let labels = dir.write("valid-labels", &idx_labels(&[0, 1]));
        Fuzz {
            dir,
            images,
            labels,
        }
    }

    /// Loads `bytes`, saved as `name`, both as images and as labels: any
    /// result is fine, a panic is not.
    fn load(&self, name: &str, bytes: &[u8]) {
        let path = self.dir.write(name, bytes);
        let _ = Dataset::load(&path, &self.labels, 10);
        let _ = Dataset::load(&self.images, &path, 10);
    }
}

/// A valid images or labels file, then a few bytes overwritten and maybe the
/// end cut off.
fn mutated_idx() -> impl Strategy<Value = Vec<u8>> {
    let valid = prop_oneof![
        (0u32..4, 1u32..4, 1u32..4).prop_map(|(n, r, c)| idx_images(
            n,
            r,
            c,
            &pixels(n as usize, r as usize, c as usize)
        )),
        prop::collection::vec(0u8..12, 0..8).prop_map(|labels| idx_labels(&labels)),
    ];
    (
        valid,
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(|(mut bytes, edits, cut)| {
            for (at, value) in edits {
                let at = at.index(bytes.len());
                bytes[at] = value;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            bytes
        })
}

#[test]
fn arbitrary_bytes_never_panic() {
    let fuzz = Fuzz::new();
    proptest!(ProptestConfig::with_cases(1000), |(bytes in prop::collection::vec(any::<u8>(), 0..64))| {
        fuzz.load("arbitrary", &bytes);
        fuzz.load("arbitrary.gz", &bytes);
        fuzz.load("gzip-magic.gz", &[&[0x1f, 0x8b][..], &bytes].concat());
    });
}

#[test]
fn mutated_files_never_panic() {
    let fuzz = Fuzz::new();
    proptest!(ProptestConfig::with_cases(1000), |(bytes in mutated_idx())| {
        fuzz.load("mutated", &bytes);
        fuzz.load("mutated.gz", &gzip(&bytes));
    });
}

#[test]
fn mutated_gzip_never_panics() {
    let fuzz = Fuzz::new();
    proptest!(ProptestConfig::with_cases(1000), |(bytes in mutated_idx(), at in any::<prop::sample::Index>(), value: u8)| {
        let mut compressed = gzip(&bytes);
        let at = at.index(compressed.len());
        compressed[at] = value;
        fuzz.load("corrupted.gz", &compressed);
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn valid_files_round_trip(n in 0u32..5, rows in 1u32..5, cols in 1u32..5, gz: bool) {
        let dir = TempDir::new();
        let data = pixels(n as usize, rows as usize, cols as usize);
        let labels: Vec<u8> = (0..n as u8).collect();
        let (images_file, labels_file) = (idx_images(n, rows, cols, &data), idx_labels(&labels));
        let (images_path, labels_path) = if gz {
            (dir.write("i.gz", &gzip(&images_file)), dir.write("l.gz", &gzip(&labels_file)))
        } else {
            (dir.write("i", &images_file), dir.write("l", &labels_file))
        };
        let dataset = Dataset::load(images_path, labels_path, 10).unwrap();
        prop_assert_eq!(dataset.images(), &data[..]);
        prop_assert_eq!(dataset.labels(), &labels[..]);
        prop_assert_eq!((dataset.rows(), dataset.cols()), (rows as usize, cols as usize));
    }
}

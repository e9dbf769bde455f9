//! Fuzzing the two file readers, the IDX loader and the safetensors model loader: whatever the
//! bytes, they return data or an error, never panic, and never allocate more than the file can
//! back (its length, or 1032 times it for gzip, the most deflate can expand).
//!
//! `FUZZ_CASES` sets the total number of generated cases, shared among the four properties
//! (default 2,000, a few seconds). The long run:
//!
//! ```text
//! FUZZ_CASES=100000 cargo test --release -p ferrograd --test fuzz_loaders
//! ```
//!
//! A counting global allocator measures each load's peak heap use on the test's thread. The
//! rules each case is checked by are in `oracles/mod.rs`, shared with the coverage-guided
//! targets of `fuzz/` (`cargo fuzz`, see the README) and `fuzz_regressions.rs`.

mod common;
mod oracles;

use ferrograd::data::{DataError, Dataset};
use ferrograd::nn::Mlp;
use flate2::Compression;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use common::{Counting, TempDir, gzip_at, idx_header, peak_during};
use oracles::{IdxOracle, SLACK, check_model};

// ------------------------------------------------------------------ allocation accounting

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// ------------------------------------------------------------------ files

/// `bytes` gzip-compressed at the fast level.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_at(Compression::fast(), bytes)
}

/// The number of cases of one property: its `share` of `FUZZ_CASES` (default 2,000).
fn cases(share: f64) -> u32 {
    let total: f64 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000.0);
    (total * share).ceil().max(1.0) as u32
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

// ------------------------------------------------------------------ the IDX reader

/// Header sizes: small, typical, and the extremes of `u32`.
fn dimension() -> impl Strategy<Value = u32> {
    prop_oneof![
        0u32..4,
        Just(28),
        Just(255),
        Just(60_000),
        Just(1 << 16),
        Just(1 << 31),
        Just(u32::MAX),
        any::<u32>(),
    ]
}

/// An IDX-like file: a header with a plausible or random magic number and 0 to 4 dimensions,
/// then a body that is shorter, exact or longer than declared.
fn idx_like() -> impl Strategy<Value = Vec<u8>> {
    let magic = prop_oneof![
        Just(0x0803u32),
        Just(0x0801),
        Just(0x0802),
        Just(0x0804),
        Just(0x0c03),
        any::<u32>()
    ];
    (
        magic,
        prop::collection::vec(dimension(), 0..5),
        prop::collection::vec(any::<u8>(), 0..200),
        prop::sample::select(vec![0u8, 9, 255]),
    )
        .prop_map(|(magic, dims, body, label)| {
            let mut bytes = idx_header(magic, &dims);
            // A body that often has exactly the declared size, when that is small.
            let declared = dims
                .iter()
                .try_fold(1u64, |n, &d| n.checked_mul(u64::from(d)))
                .filter(|&n| n <= 4096);
            match declared {
                Some(n) if body.len() % 2 == 0 => bytes.resize(bytes.len() + n as usize, label),
                _ => bytes.extend(body),
            }
            bytes
        })
}

#[test]
fn idx_reader_survives_arbitrary_bytes() {
    let fuzz = IdxOracle::new();
    let strategy = prop::collection::vec(any::<u8>(), 0..600);
    runner(cases(0.2))
        .run(&strategy, |bytes| {
            fuzz.check("raw", &bytes);
            fuzz.check("named.gz", &bytes);
            fuzz.check("magic.gz", &[&[0x1f, 0x8b, 0x08][..], &bytes].concat());
            Ok(())
        })
        .unwrap();
}

#[test]
fn idx_reader_survives_lying_headers() {
    let fuzz = IdxOracle::new();
    let strategy = (
        idx_like(),
        prop::option::of(any::<prop::sample::Index>()),
        prop::option::of((any::<prop::sample::Index>(), any::<u8>())),
    );
    runner(cases(0.3))
        .run(&strategy, |(bytes, cut, flip)| {
            fuzz.check("idx", &bytes);
            let mut compressed = gzip(&bytes);
            if let Some(cut) = cut {
                compressed.truncate(cut.index(compressed.len() + 1));
            }
            if let Some((at, value)) = flip
                && !compressed.is_empty()
            {
                let at = at.index(compressed.len());
                compressed[at] ^= value;
            }
            fuzz.check("idx.gz", &compressed);
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_header_claiming_4g_images_in_a_100_byte_file_is_an_error_not_an_allocation() {
    let fuzz = IdxOracle::new();
    let mut images = idx_header(0x803, &[u32::MAX, 28, 28]);
    images.resize(100, 0);
    let mut labels = idx_header(0x801, &[u32::MAX]);
    labels.resize(100, 0);
    for (name, bytes, as_images) in [
        ("huge-images", images.clone(), true),
        ("huge-images.gz", gzip(&images), true),
        ("huge-labels", labels.clone(), false),
        ("huge-labels.gz", gzip(&labels), false),
    ] {
        let path = fuzz.dir.write(name, &bytes);
        let (result, peak) = if as_images {
            peak_during(|| Dataset::load(&path, &fuzz.labels, 10))
        } else {
            peak_during(|| Dataset::load(&fuzz.images, &path, 10))
        };
        let error = result.unwrap_err();
        assert!(
            matches!(error, DataError::TruncatedData { .. }),
            "{name}: {error}"
        );
        assert!(error.to_string().contains(name), "{error}");
        assert!(peak < 1 << 20, "{name}: {peak} bytes held");
    }
}

// ------------------------------------------------------------------ the model loader

/// Tensor names: mostly an MLP's, sometimes not.
fn tensor_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1usize..4, prop::bool::ANY).prop_map(|(n, weight)| {
            format!("fc{n}.{}", if weight { "weight" } else { "bias" })
        }),
        1 => Just("__metadata__".to_string()),
        1 => "[a-z.]{0,6}",
    ]
}

/// Tensor sizes: small, the MNIST ones, and large enough to overflow.
fn tensor_dim() -> impl Strategy<Value = usize> {
    prop_oneof![
        8 => 0usize..5,
        2 => Just(784),
        2 => 1000usize..3000,
        1 => Just(1 << 31),
        1 => Just(usize::MAX / 2),
    ]
}

/// One tensor entry of a safetensors header: name, dtype, shape, and whether its offsets are
/// consistent with the shape.
type Entry = (String, String, Vec<usize>, bool);

fn entry() -> impl Strategy<Value = Entry> {
    let dtype = prop::sample::select(vec!["F32", "F64", "F16", "I64", "U8", "BOOL", "F4", "Q"]);
    (
        tensor_name(),
        dtype.prop_map(String::from),
        prop::collection::vec(tensor_dim(), 0..4),
        prop::bool::weighted(0.8),
    )
}

/// The entries of an MLP's file, `fc1.weight`, `fc1.bias`, ...: one float dtype, 2-d weights
/// that usually chain (each one's rows are the previous one's columns, else any number), biases
/// usually present.
fn mlp_entries() -> impl Strategy<Value = Vec<Entry>> {
    (
        prop::sample::select(vec!["F32", "F64"]),
        tensor_dim(),
        prop::collection::vec(
            (
                tensor_dim(),
                prop::option::weighted(0.3, tensor_dim()),
                prop::bool::weighted(0.9),
            ),
            1..4,
        ),
    )
        .prop_map(|(dtype, inputs, layers)| {
            let mut entries = Vec::new();
            let mut previous = inputs;
            for (n, (columns, unchained, biased)) in layers.into_iter().enumerate() {
                let rows = unchained.unwrap_or(previous);
                let weight = (format!("fc{}.weight", n + 1), dtype.to_string());
                entries.push((weight.0, weight.1, vec![rows, columns], true));
                if biased {
                    let bias = format!("fc{}.bias", n + 1);
                    entries.push((bias, dtype.to_string(), vec![1, columns], true));
                }
                previous = columns;
            }
            entries
        })
}

/// A safetensors-like file: a JSON header with plausible entries, an MLP's or arbitrary ones
/// (offsets usually consistent, data usually present), its length field usually right, and
/// maybe a cut or a flipped byte.
fn safetensors_like() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![prop::collection::vec(entry(), 0..5), mlp_entries()],
        prop::bool::weighted(0.9),
        prop::option::weighted(0.2, any::<i16>()),
        prop::option::weighted(0.2, any::<prop::sample::Index>()),
        prop::option::weighted(0.2, (any::<prop::sample::Index>(), any::<u8>())),
    )
        .prop_map(|(entries, with_data, length_error, cut, flip)| {
            let mut header = String::from("{");
            let mut offset = 0usize;
            for (i, (name, dtype, shape, consistent)) in entries.iter().enumerate() {
                let size = match dtype.as_str() {
                    "F64" | "I64" => 8,
                    "F16" => 2,
                    "F32" => 4,
                    _ => 1,
                };
                let len = shape
                    .iter()
                    .try_fold(size, |n: usize, &d| n.checked_mul(d))
                    .filter(|&n| n <= 1 << 16 && *consistent)
                    .unwrap_or(offset % 7);
                let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
                if i > 0 {
                    header.push(',');
                }
                header.push_str(&format!(
                    r#""{name}":{{"dtype":"{dtype}","shape":[{}],"data_offsets":[{offset},{}]}}"#,
                    dims.join(","),
                    offset + len
                ));
                offset += len;
            }
            header.push('}');
            let declared = (header.len() as i64 + length_error.map_or(0, i64::from)).max(0);
            let mut bytes = (declared as u64).to_le_bytes().to_vec();
            bytes.extend_from_slice(header.as_bytes());
            if with_data {
                bytes.resize(bytes.len() + offset, 0x3f);
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            if let Some((at, value)) = flip.filter(|_| !bytes.is_empty()) {
                let at = at.index(bytes.len());
                bytes[at] ^= value;
            }
            bytes
        })
}

#[test]
fn model_loader_survives_arbitrary_bytes() {
    let dir = TempDir::new();
    let strategy = (prop::collection::vec(any::<u8>(), 0..600), prop::bool::ANY);
    runner(cases(0.2))
        .run(&strategy, |(mut bytes, plausible_length)| {
            // Half the time, a length field that fits the file, to reach the JSON parser.
            if plausible_length && bytes.len() > 8 {
                let header = (bytes.len() - 8) as u64;
                bytes[..8].copy_from_slice(&header.to_le_bytes());
                bytes[8] = b'{';
            }
            check_model(&dir, &bytes);
            Ok(())
        })
        .unwrap();
}

#[test]
fn model_loader_survives_lying_headers() {
    let dir = TempDir::new();
    runner(cases(0.3))
        .run(&safetensors_like(), |bytes| {
            check_model(&dir, &bytes);
            Ok(())
        })
        .unwrap();
}

#[test]
fn layers_that_do_not_chain_are_an_error_not_an_allocation() {
    // Two 12 kB weights, [1, 3000] and [1, 3000]: an MLP built from their column counts alone
    // needs a 3000 × 3000 layer, 36 MB.
    let dir = TempDir::new();
    let header = r#"{"fc1.weight":{"dtype":"F32","shape":[1,3000],"data_offsets":[0,12000]},"fc2.weight":{"dtype":"F32","shape":[1,3000],"data_offsets":[12000,24000]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.resize(bytes.len() + 24_000, 0);
    let path = dir.write("chain.safetensors", &bytes);
    let (result, peak) = peak_during(|| Mlp::<f32>::from_safetensors(&path, None));
    let error = result.unwrap_err();
    assert!(
        peak <= 16 * bytes.len() + SLACK,
        "{peak} bytes held for a {}-byte file",
        bytes.len()
    );
    assert!(error.to_string().contains("fc2.weight"), "{error}");
}

#[test]
fn a_tensor_claiming_terabytes_in_a_small_file_is_an_error_not_an_allocation() {
    let dir = TempDir::new();
    let header = format!(
        r#"{{"fc1.weight":{{"dtype":"F32","shape":[1048576,262144],"data_offsets":[0,{}]}}}}"#,
        4u64 << 38
    );
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.resize(bytes.len() + 100, 0);
    let path = dir.write("huge.safetensors", &bytes);
    let (result, peak) = peak_during(|| Mlp::<f32>::from_safetensors(&path, None));
    let error = result.unwrap_err();
    assert!(error.to_string().contains("huge.safetensors"), "{error}");
    assert!(peak < 1 << 20, "{peak} bytes held");
}

//! Helpers shared by the tests that run the `ferrograd` binary: small synthetic IDX data sets,
//! hand-made safetensors files, and checks on the binary's output.
#![allow(dead_code)] // each test file uses a different part

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ferrograd::nn::{Mlp, Module};
use flate2::Compression;
use flate2::write::GzEncoder;
use safetensors::tensor::TensorView;

/// The four file names of an MNIST folder, training images first.
pub const FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// A small deterministic generator (xorshift64*), so the tests need no `rand`.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// An IDX images file: header, then `count * rows * cols` pseudo-random pixels.
pub fn idx_images(count: u32, rows: u32, cols: u32, seed: u64) -> Vec<u8> {
    let mut bytes = idx_header(0x0803, &[count, rows, cols]);
    bytes.extend(Rng::new(seed).bytes((count * rows * cols) as usize));
    bytes
}

/// An IDX labels file with pseudo-random labels in `0..10`.
pub fn idx_labels(count: u32, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let labels: Vec<u8> = (0..count).map(|_| rng.below(10) as u8).collect();
    idx_labels_from(&labels)
}

/// An IDX labels file holding `labels`.
pub fn idx_labels_from(labels: &[u8]) -> Vec<u8> {
    let mut bytes = idx_header(0x0801, &[labels.len() as u32]);
    bytes.extend_from_slice(labels);
    bytes
}

pub fn idx_header(magic: u32, dims: &[u32]) -> Vec<u8> {
    let mut bytes = magic.to_be_bytes().to_vec();
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    bytes
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Writes a raw (uncompressed) MNIST-style folder at `dir`: `train` and `test` images of
/// `rows × cols` pixels with labels.
pub fn write_dataset(dir: &Path, train: u32, test: u32, rows: u32, cols: u32) {
    std::fs::create_dir_all(dir).unwrap();
    let files = [
        idx_images(train, rows, cols, 1),
        idx_labels(train, 2),
        idx_images(test, rows, cols, 3),
        idx_labels(test, 4),
    ];
    for (name, bytes) in FILES.iter().zip(files) {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// The built `ferrograd` binary, run with `args`.
pub fn ferrograd(args: &[&str]) -> Output {
    command(args).output().unwrap()
}

/// A `Command` for the built `ferrograd` binary, without `MNIST_DIR` (the tests always pass
/// `--data`).
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ferrograd"));
    command
        .args(args)
        .env_remove("MNIST_DIR")
        .env_remove("RUST_BACKTRACE");
    command
}

/// `ferrograd train` on `fixture`'s data into `fixture/out` with `flags`; checks that it
/// succeeded and returns its output.
#[track_caller]
pub fn train(fixture: &Fixture, out: &str, flags: &[&str]) -> Output {
    let (data, out) = (fixture.data(), fixture.path(out));
    let mut args = vec!["train", "--data", s(&data), "--out", s(&out)];
    args.extend(flags);
    let output = ferrograd(&args);
    assert!(output.status.success(), "{output:?}");
    output
}

/// A path as a `&str` for `ferrograd(...)`.
pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Checks that `output` is a failure with status `code` and exactly one line on stderr,
/// `ferrograd: error: ...`, containing every one of `needles`, and no sign of a panic; returns
/// the line.
#[track_caller]
pub fn assert_one_line_error(output: &Output, code: i32, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let context = format!(
        "status {:?}\nstderr:\n{stderr}\nstdout:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(output.status.code(), Some(code), "{context}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr; {context}");
    let line = lines[0];
    assert!(line.starts_with("ferrograd: error: "), "{context}");
    for needle in needles {
        assert!(line.contains(needle), "`{needle}` missing; {context}");
    }
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!line.contains(bad), "{context}");
    }
    line.to_string()
}

/// A safetensors file holding `tensors` (name, dtype, shape), each filled with zero bytes of
/// its size.
pub fn safetensors(tensors: &[(&str, &str, &[usize])]) -> Vec<u8> {
    let mut header = String::from("{");
    let mut offset = 0;
    for (i, (name, dtype, shape)) in tensors.iter().enumerate() {
        let size = match *dtype {
            "F64" => 8,
            "F16" | "BF16" => 2,
            "U8" => 1,
            _ => 4,
        };
        let len = size * shape.iter().product::<usize>();
        let shape: Vec<String> = shape.iter().map(ToString::to_string).collect();
        if i > 0 {
            header.push(',');
        }
        header.push_str(&format!(
            r#""{name}":{{"dtype":"{dtype}","shape":[{}],"data_offsets":[{offset},{}]}}"#,
            shape.join(","),
            offset + len
        ));
        offset += len;
    }
    header.push('}');
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.resize(bytes.len() + offset, 0);
    bytes
}

/// A temporary folder holding a valid 28×28 data set in `data/`.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// `train` training and `test` test images of 28×28 pixels.
    pub fn new(train: u32, test: u32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(&dir.path().join("data"), train, test, 28, 28);
        Fixture { dir }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// `model`'s parameters as a safetensors file without metadata, as ferrograd wrote them before
/// files recorded their architecture (and as other tools write them).
pub fn without_metadata(model: &Mlp<f32>) -> Vec<u8> {
    let params: Vec<(String, Vec<usize>, Vec<u8>)> = model
        .named_parameters()
        .into_iter()
        .map(|(name, p)| {
            let bytes = p.data().iter().flat_map(|x| x.to_le_bytes()).collect();
            (name, p.shape(), bytes)
        })
        .collect();
    let views = params.iter().map(|(name, shape, bytes)| {
        let view = TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes).unwrap();
        (name, view)
    });
    safetensors::serialize(views, None).unwrap()
}

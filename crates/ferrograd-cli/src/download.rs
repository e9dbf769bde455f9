//! Fetching the MNIST files when they are not on disk yet.
//!
//! Every file is checked against a known SHA-256. A download goes to a
//! temporary `.part` file in the target folder and is renamed into place only
//! once its checksum matches, so an interrupted run never leaves a
//! half-written file under the final name.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The four MNIST files: name and SHA-256 (lowercase hex) of the gzip file.
pub const MNIST_FILES: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    (
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    (
        "t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    (
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
];

/// Public MNIST mirrors (base URLs ending in `/`), tried in order.
pub const MNIST_MIRRORS: [&str; 2] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
];

/// Longest wait for a TCP connection to a mirror.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence while receiving, so a stalled transfer fails.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest time for one whole file, from DNS lookup to the last byte.
const GLOBAL_TIMEOUT: Duration = Duration::from_secs(600);

/// A file could not be made available; the message names the file, says what
/// went wrong and how to provide the file by hand.
#[derive(Debug, Error)]
#[error(
    "{file}: {kind}; put {file} into {} by hand, or pass `--data DIR` with a folder that has it",
    dir.display()
)]
pub struct DownloadError {
    /// Name of the file that failed, e.g. `train-images-idx3-ubyte.gz`.
    pub file: String,
    /// The folder the file should be in.
    pub dir: PathBuf,
    /// What went wrong.
    pub kind: DownloadErrorKind,
}

/// What went wrong while making a file available.
#[derive(Debug, Error)]
pub enum DownloadErrorKind {
    /// A mirror served the file but its content has the wrong SHA-256.
    #[error("sha256 mismatch for {url}: expected {expected}, got {actual}")]
    Mismatch {
        /// The URL the bad content came from.
        url: String,
        /// The SHA-256 the file should have.
        expected: String,
        /// The SHA-256 of what was received.
        actual: String,
    },
    /// No mirror could deliver the file (network error, HTTP error status...).
    #[error("could not reach any mirror: {0}")]
    Unreachable(String),
    /// Reading or writing the local folder failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// The default MNIST folder: `<user cache>/ferrograd/mnist`, or `./data/mnist`
/// when the system has no cache folder.
pub fn default_cache_dir() -> PathBuf {
    dirs::cache_dir()
        .map(|cache| cache.join("ferrograd").join("mnist"))
        .unwrap_or_else(|| PathBuf::from("data").join("mnist"))
}

/// Makes sure the four MNIST files are in `dir`, downloading the missing or
/// corrupt ones from `mirrors` (see [`MNIST_MIRRORS`]).
pub fn ensure_mnist(dir: &Path, mirrors: &[&str], progress: bool) -> Result<(), DownloadError> {
    download_files(dir, &MNIST_FILES, mirrors, progress)
}

/// Makes sure each `(name, sha256)` of `files` is in `dir` with that checksum.
///
/// A file that is present with the right checksum is kept. Otherwise it is
/// fetched from `<mirror><name>` for each mirror in order until one delivers
/// the right content. If none does, the error is a checksum mismatch when a
/// mirror served wrong content, otherwise the last network error. `progress`
/// shows a progress bar on stderr for each download.
pub fn download_files(
    dir: &Path,
    files: &[(&str, &str)],
    mirrors: &[&str],
    progress: bool,
) -> Result<(), DownloadError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_per_read(Some(READ_TIMEOUT))
        .timeout_global(Some(GLOBAL_TIMEOUT))
        // The checksums are of the gzip files themselves: never let the
        // server or the client add or strip a transfer compression.
        .accept_encoding("identity")
        .build()
        .into();
    for &(name, sha256) in files {
        ensure_file(&agent, dir, name, sha256, mirrors, progress).map_err(|kind| {
            DownloadError {
                file: name.to_string(),
                dir: dir.to_path_buf(),
                kind,
            }
        })?;
    }
    Ok(())
}

/// Returns the SHA-256 of the file at `path` as lowercase hex.
pub fn verify_sha256(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

/// Makes one file available in `dir`, trying the mirrors in order.
fn ensure_file(
    agent: &ureq::Agent,
    dir: &Path,
    name: &str,
    sha256: &str,
    mirrors: &[&str],
    progress: bool,
) -> Result<(), DownloadErrorKind> {
    let path = dir.join(name);
    if path.is_file() && verify_sha256(&path)? == sha256 {
        return Ok(());
    }
    fs::create_dir_all(dir)?;
    let part = dir.join(format!("{name}.part"));
    let mut mismatch = None;
    let mut last_error = String::from("no mirror given");
    for mirror in mirrors {
        let url = format!("{mirror}{name}");
        match fetch(agent, &url, &part, name, progress) {
            Ok(actual) if actual == sha256 => {
                fs::rename(&part, &path)?;
                return Ok(());
            }
            Ok(actual) => {
                mismatch = Some(DownloadErrorKind::Mismatch {
                    url,
                    expected: sha256.to_string(),
                    actual,
                })
            }
            Err(Fetch::Network(error)) => last_error = format!("{url}: {error}"),
            Err(Fetch::Local(error)) => {
                let _ = fs::remove_file(&part);
                return Err(error.into());
            }
        }
        let _ = fs::remove_file(&part);
    }
    Err(mismatch.unwrap_or(DownloadErrorKind::Unreachable(last_error)))
}

/// Why a single fetch failed: the network side or the local disk.
enum Fetch {
    Network(String),
    Local(io::Error),
}

/// Downloads `url` into `part` (synced to disk) and returns its SHA-256.
fn fetch(
    agent: &ureq::Agent,
    url: &str,
    part: &Path,
    name: &str,
    progress: bool,
) -> Result<String, Fetch> {
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| Fetch::Network(e.to_string()))?;
    let bar = progress_bar(progress, response.body().content_length(), name);
    let mut reader = response.body_mut().as_reader();
    let mut file = File::create(part).map_err(Fetch::Local)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| Fetch::Network(e.to_string()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n]).map_err(Fetch::Local)?;
        bar.inc(n as u64);
    }
    file.sync_all().map_err(Fetch::Local)?;
    bar.finish();
    Ok(hex(&hasher.finalize()))
}

/// A progress bar in bytes for one file, or a hidden one when `show` is false.
fn progress_bar(show: bool, len: Option<u64>, name: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let (bar, template) = match len {
        Some(len) => (
            ProgressBar::new(len),
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        ),
        None => (
            ProgressBar::no_length(),
            "{spinner} {msg} {bytes} {binary_bytes_per_sec}",
        ),
    };
    let style = ProgressStyle::with_template(template).expect("valid progress template");
    bar.with_style(style.progress_chars("=> "))
        .with_message(name.to_string())
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

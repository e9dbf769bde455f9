//! Fetching MNIST when it is not on disk yet (cargo feature `download`).
//!
//! Every file is checked against its SHA-256 in [`MNIST_FILES`]. A download is written under a
//! temporary name beside its target ([`AtomicFile`]) and put in place only once its checksum
//! matches, so a stopped or failed run never leaves a partial file under the final name; a
//! failed run also removes the folders it created for nothing.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use super::mnist::Mnist;
use crate::atomic::{AtomicFile, is_temporary_of};

/// The four MNIST files as the mirrors serve them: name and SHA-256 (lowercase hex).
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

/// The environment variable that replaces [`MNIST_MIRRORS`]: base URLs separated by spaces.
pub const MIRRORS_VAR: &str = "FERROGRAD_MNIST_MIRRORS";

/// Longest wait for a TCP connection to a mirror.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence while receiving, so a stalled transfer fails.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest time for one whole file, from DNS lookup to the last byte.
const GLOBAL_TIMEOUT: Duration = Duration::from_secs(600);

/// The files could not be made available. The message says what is missing and what each
/// mirror answered; how to provide the files instead is for the caller to say, in its own terms
/// (a command-line flag, a function argument).
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// No mirror delivered a file the folder lacks.
    #[error(
        "MNIST could not be downloaded into {}: it lacks {}, and no mirror delivered {} ({})",
        .dir.display(),
        in_words(.missing),
        .missing[0],
        tried_in_words(.tried)
    )]
    NoMirror {
        /// The folder the files should be in.
        dir: PathBuf,
        /// Every file the folder still lacks (or holds with the wrong checksum), starting with
        /// the one no mirror delivered; never empty.
        missing: Vec<String>,
        /// What each mirror answered for `missing[0]`, in the order they were tried.
        tried: Vec<MirrorFailure>,
    },
    /// The folder or a file in it could not be created or written.
    #[error("MNIST could not be downloaded: cannot write {}: {source}", .path.display())]
    Write {
        /// The folder or file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// What one mirror answered for one file.
#[derive(Debug, thiserror::Error)]
#[error("{url}: {error}")]
pub struct MirrorFailure {
    /// The file's URL on that mirror.
    pub url: String,
    /// What went wrong.
    pub error: MirrorError,
}

/// Why a mirror did not deliver a file.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    /// No answer, an HTTP error status, or a transfer cut short.
    #[error("{0}")]
    Network(String),
    /// The content arrived but its SHA-256 is wrong.
    #[error("its SHA-256 is {actual}, expected {expected}")]
    Mismatch {
        /// The SHA-256 the file should have.
        expected: String,
        /// The SHA-256 of what arrived.
        actual: String,
    },
}

impl Mnist {
    /// The folder MNIST is downloaded into: `<user cache>/ferrograd/mnist`
    /// (`~/.cache/ferrograd/mnist` on Linux), or `data/mnist` when the system has no cache
    /// folder.
    pub fn cache_dir() -> PathBuf {
        dirs::cache_dir()
            .map(|cache| cache.join("ferrograd").join("mnist"))
            .unwrap_or_else(|| PathBuf::from("data").join("mnist"))
    }

    /// The MNIST folder by the rule `ferrograd train` and Python's `load_mnist` share: `dir`,
    /// else `$MNIST_DIR` ([`Mnist::named_dir`]), each read as it is; else [`Mnist::cache_dir`],
    /// where the files missing are downloaded from [`MNIST_MIRRORS`] (or the mirrors in
    /// `$FERROGRAD_MNIST_MIRRORS`) and checked. `progress` draws a progress bar on stderr for
    /// each download. Pass the folder to [`Mnist::load`].
    ///
    /// # Errors
    ///
    /// [`DownloadError`] when the cache folder lacks a file that no mirror delivers.
    pub fn find_or_download(dir: Option<&Path>, progress: bool) -> Result<PathBuf, DownloadError> {
        if let Some(dir) = Mnist::named_dir(dir) {
            return Ok(dir);
        }
        let dir = Mnist::cache_dir();
        download(&dir, &MNIST_FILES, &mirrors(), progress)?;
        Ok(dir)
    }
}

/// `$FERROGRAD_MNIST_MIRRORS` split at white space, else [`MNIST_MIRRORS`].
fn mirrors() -> Vec<String> {
    let named: Vec<String> = std::env::var(MIRRORS_VAR)
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect();
    if named.is_empty() {
        MNIST_MIRRORS.map(String::from).to_vec()
    } else {
        named
    }
}

/// Makes sure each `(name, sha256)` of `files` is in `dir` with that checksum.
///
/// A file present with the right checksum is kept; each other one is fetched from
/// `<mirror><name>` for each of `mirrors` in order until one delivers the right content (which
/// replaces a damaged copy). The first file that no mirror delivers ends the download with
/// [`DownloadError::NoMirror`], listing it and every file after it that is still lacking; the
/// files delivered before it stay, and the folders this call created are removed again if they
/// are empty. `progress` draws a progress bar on stderr for each download.
///
/// # Errors
///
/// [`DownloadError`]: a file no mirror delivered, or a folder or file that cannot be written.
pub fn download(
    dir: &Path,
    files: &[(&str, &str)],
    mirrors: &[impl AsRef<str>],
    progress: bool,
) -> Result<(), DownloadError> {
    let lacking: Vec<(&str, &str)> = files
        .iter()
        .copied()
        .filter(|&(name, sha256)| sha256_file(&dir.join(name)).ok().as_deref() != Some(sha256))
        .collect();
    if lacking.is_empty() {
        return Ok(());
    }
    let new_folders: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|folder| !folder.as_os_str().is_empty() && !folder.exists())
        .map(Path::to_path_buf)
        .collect();
    remove_temporary_files(dir, &lacking);
    let agent = agent();
    for (i, &(name, sha256)) in lacking.iter().enumerate() {
        if let Err(error) = fetch_file(&agent, dir, name, sha256, mirrors, progress) {
            // Innermost first; a folder that holds anything stays, and so do those above it.
            for folder in &new_folders {
                if fs::remove_dir(folder).is_err() {
                    break;
                }
            }
            return Err(match error {
                FileError::NoMirror(tried) => DownloadError::NoMirror {
                    dir: dir.to_path_buf(),
                    missing: lacking[i..].iter().map(|(n, _)| n.to_string()).collect(),
                    tried,
                },
                FileError::Write(error) => error,
            });
        }
    }
    Ok(())
}

/// The SHA-256 of the file at `path`, in lowercase hex.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("abc");
/// std::fs::write(&path, "abc")?;
/// assert_eq!(
///     ferrograd::data::sha256_file(&path)?,
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// The file cannot be opened or read.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let file = fs::File::open(path)?;
    copy_hashing(file, &mut io::sink(), &ProgressBar::hidden())
        .map_err(|(Copy::Read(error) | Copy::Write(error))| error)
}

/// Why one file could not be made available.
enum FileError {
    /// What each mirror answered.
    NoMirror(Vec<MirrorFailure>),
    /// The local side failed.
    Write(DownloadError),
}

/// The HTTP client: timeouts against stalls, and no transfer compression (the checksums are of
/// the gzip files themselves, which neither side may add or strip a compression to).
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_per_read(Some(READ_TIMEOUT))
        .timeout_global(Some(GLOBAL_TIMEOUT))
        .accept_encoding("identity")
        .build()
        .into()
}

/// Fetches `name` into `dir`, trying the mirrors in order. The folder is created only once a
/// mirror answers.
fn fetch_file(
    agent: &ureq::Agent,
    dir: &Path,
    name: &str,
    sha256: &str,
    mirrors: &[impl AsRef<str>],
    progress: bool,
) -> Result<(), FileError> {
    let path = dir.join(name);
    let cannot_write = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FileError::Write(DownloadError::Write { path, source })
    };
    let mut tried = Vec::new();
    for mirror in mirrors {
        let url = format!("{}{name}", mirror.as_ref());
        let mut response = match agent.get(&url).call() {
            Ok(response) => response,
            Err(error) => {
                let error = MirrorError::Network(error.to_string());
                tried.push(MirrorFailure { url, error });
                continue;
            }
        };
        fs::create_dir_all(dir).map_err(cannot_write(dir))?;
        let mut file = AtomicFile::create(&path).map_err(cannot_write(&path))?;
        let bar = progress_bar(progress, response.body().content_length(), name);
        let received = copy_hashing(response.body_mut().as_reader(), &mut file, &bar);
        bar.finish();
        let error = match received {
            Ok(actual) if actual == sha256 => return file.commit().map_err(cannot_write(&path)),
            Ok(actual) => MirrorError::Mismatch {
                expected: sha256.to_string(),
                actual,
            },
            Err(Copy::Read(error)) => MirrorError::Network(error.to_string()),
            Err(Copy::Write(error)) => return Err(cannot_write(&path)(error)),
        };
        tried.push(MirrorFailure { url, error });
    }
    Err(FileError::NoMirror(tried))
}

/// Which side of a copy failed.
enum Copy {
    Read(io::Error),
    Write(io::Error),
}

/// Copies `from` into `to`, counting the bytes on `bar`; returns the SHA-256 of what it copied.
fn copy_hashing(
    mut from: impl Read,
    to: &mut impl Write,
    bar: &ProgressBar,
) -> Result<String, Copy> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = from.read(&mut buf).map_err(Copy::Read)?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n]).map_err(Copy::Write)?;
        bar.inc(n as u64);
    }
}

/// Removes what downloads of `files` into `dir` left when their process was killed.
fn remove_temporary_files(dir: &Path, files: &[(&str, &str)]) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let ours = name
            .to_str()
            .is_some_and(|name| files.iter().any(|&(file, _)| is_temporary_of(name, file)));
        if ours {
            let _ = fs::remove_file(entry.path());
        }
    }
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

/// `a`, `a and b`, `a, b and c`.
fn in_words(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Each mirror's URL and answer, separated by semicolons.
fn tried_in_words(tried: &[MirrorFailure]) -> String {
    if tried.is_empty() {
        return "no mirror was given".to_string();
    }
    let answers: Vec<String> = tried.iter().map(ToString::to_string).collect();
    answers.join("; ")
}

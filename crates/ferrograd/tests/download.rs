//! Downloads from a tiny HTTP server on the loopback interface, never the real network.

mod server;

use std::path::Path;
use std::time::{Duration, Instant};

use ferrograd::data::{DownloadError, MirrorError, download};
use server::{Server, refusing_mirror};
use sha2::{Digest, Sha256};

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The names of the files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

const A: &[u8] = b"first fake file";
const B: &[u8] = &[0x1f, 0x8b, 0, 1, 2, 3, 255, 254];

/// Downloads `a.gz`, which must hold [`A`], into `dir` from the folder `m/` of `server`.
fn download_a(server: &Server, dir: &Path) -> Result<(), DownloadError> {
    let sha_a = sha256_hex(A);
    download(dir, &[("a.gz", sha_a.as_str())], &[server.url("m/")], false)
}

/// Four files named like MNIST's, each with its own content: name, content, SHA-256.
fn four_files() -> Vec<(String, Vec<u8>, String)> {
    ["train-images", "train-labels", "t10k-images", "t10k-labels"]
        .iter()
        .map(|stem| {
            let body = format!("fake {stem}").into_bytes();
            let sha = sha256_hex(&body);
            (format!("{stem}.gz"), body, sha)
        })
        .collect()
}

/// The `(name, sha256)` pairs of `files` that [`download`] takes.
fn checksums(files: &[(String, Vec<u8>, String)]) -> Vec<(&str, &str)> {
    files
        .iter()
        .map(|(name, _, sha)| (name.as_str(), sha.as_str()))
        .collect()
}

#[test]
fn downloads_and_verifies_every_file() {
    let server = Server::start(&[("/m/a.gz", A), ("/m/b.gz", B)]);
    let dir = tempfile::tempdir().unwrap();
    let (sha_a, sha_b) = (sha256_hex(A), sha256_hex(B));
    let files = [("a.gz", sha_a.as_str()), ("b.gz", sha_b.as_str())];

    download(dir.path(), &files, &[server.url("m/")], false).unwrap();

    assert_eq!(std::fs::read(dir.path().join("a.gz")).unwrap(), A);
    assert_eq!(std::fs::read(dir.path().join("b.gz")).unwrap(), B);
    assert_eq!(listing(dir.path()), ["a.gz", "b.gz"]);
}

#[test]
fn creates_the_missing_folder() {
    let server = Server::start(&[("/m/a.gz", A)]);
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cache").join("mnist");
    let sha_a = sha256_hex(A);

    download(&dir, &[("a.gz", sha_a.as_str())], &[server.url("m/")], true).unwrap();

    assert_eq!(std::fs::read(dir.join("a.gz")).unwrap(), A);
}

#[test]
fn a_bad_file_is_refused_and_leaves_neither_file_nor_folder() {
    let server = Server::start(&[("/m/a.gz", A)]);
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cache").join("ferrograd").join("mnist");
    let wrong = sha256_hex(b"something else");

    let err = download(
        &dir,
        &[("a.gz", wrong.as_str())],
        &[server.url("m/")],
        false,
    )
    .unwrap_err();

    let DownloadError::NoMirror { missing, tried, .. } = &err else {
        panic!("expected NoMirror, got {err:?}");
    };
    assert_eq!(missing, &["a.gz"]);
    assert_eq!(tried.len(), 1);
    assert_eq!(tried[0].url, server.url("m/a.gz"));
    match &tried[0].error {
        MirrorError::Mismatch { expected, actual } => {
            assert_eq!(expected, &wrong);
            assert_eq!(actual, &sha256_hex(A));
        }
        other => panic!("expected a checksum mismatch, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(&dir.display().to_string()), "{message}");
    assert!(
        message.contains(&format!(
            "its SHA-256 is {}, expected {wrong}",
            sha256_hex(A)
        )),
        "{message}"
    );
    // The three folders it created for the file are gone again; the one it found stays.
    assert_eq!(listing(root.path()), [""; 0]);
}

#[test]
fn falls_back_to_the_next_mirror_after_a_404() {
    let server = Server::start(&[("/second/a.gz", A)]);
    let dir = tempfile::tempdir().unwrap();
    let sha_a = sha256_hex(A);
    let mirrors = [server.url("first/"), server.url("second/")];

    download(dir.path(), &[("a.gz", sha_a.as_str())], &mirrors, false).unwrap();

    assert_eq!(server.requests("/first/a.gz"), 1);
    assert_eq!(server.requests("/second/a.gz"), 1);
    assert_eq!(std::fs::read(dir.path().join("a.gz")).unwrap(), A);
}

#[test]
fn an_offline_run_names_every_missing_file_and_what_each_mirror_answered() {
    let files = four_files();
    let checksums = checksums(&files);
    // One mirror refuses the connection, the other answers 404.
    let server = Server::start(&[]);
    let (refusing, empty) = (refusing_mirror(), server.url("m/"));
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cache").join("mnist");

    let err = download(&dir, &checksums, &[&refusing, &empty], false).unwrap_err();

    let message = err.to_string();
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.starts_with(&format!(
            "MNIST could not be downloaded into {}: it lacks train-images.gz, \
             train-labels.gz, t10k-images.gz and t10k-labels.gz, and no mirror delivered \
             train-images.gz (",
            dir.display()
        )),
        "{message}"
    );
    let DownloadError::NoMirror { tried, .. } = &err else {
        panic!("expected NoMirror, got {err:?}");
    };
    let urls: Vec<&str> = tried.iter().map(|t| t.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            format!("{refusing}train-images.gz"),
            format!("{empty}train-images.gz")
        ]
    );
    assert!(
        tried
            .iter()
            .all(|t| matches!(t.error, MirrorError::Network(_)))
    );
    assert!(
        message.contains(&format!("{refusing}train-images.gz: ")),
        "{message}"
    );
    assert!(
        message.contains(&format!("{empty}train-images.gz: ")),
        "{message}"
    );
    assert!(message.contains("404"), "{message}");
    assert_eq!(listing(root.path()), [""; 0]);
}

#[test]
fn a_failure_lists_only_the_files_still_lacking_and_keeps_those_delivered() {
    let files = four_files();
    let checksums = checksums(&files);
    // The first file is on disk already, the mirror has the second, nobody has the last two.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(&files[0].0), &files[0].1).unwrap();
    let second = format!("/m/{}", files[1].0);
    let server = Server::start(&[(second.as_str(), files[1].1.as_slice())]);

    let err = download(dir.path(), &checksums, &[server.url("m/")], false).unwrap_err();

    let DownloadError::NoMirror { missing, .. } = &err else {
        panic!("expected NoMirror, got {err:?}");
    };
    assert_eq!(missing, &["t10k-images.gz", "t10k-labels.gz"]);
    assert!(
        err.to_string().contains(
            "lacks t10k-images.gz and t10k-labels.gz, and no mirror delivered t10k-images.gz"
        ),
        "{err}"
    );
    assert_eq!(listing(dir.path()), ["train-images.gz", "train-labels.gz"]);
}

#[test]
fn an_unreachable_mirror_fails_fast() {
    let dir = tempfile::tempdir().unwrap();
    let sha_a = sha256_hex(A);
    let mirror = refusing_mirror();

    let start = Instant::now();
    let err = download(dir.path(), &[("a.gz", sha_a.as_str())], &[&mirror], false).unwrap_err();

    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(
        err.to_string().contains(&format!("{mirror}a.gz: ")),
        "{err}"
    );
}

#[test]
fn a_good_file_on_disk_is_not_downloaded_again() {
    let server = Server::start(&[("/m/a.gz", A)]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.gz"), A).unwrap();

    download_a(&server, dir.path()).unwrap();

    assert_eq!(server.requests("/m/a.gz"), 0);
}

#[test]
fn a_corrupt_file_on_disk_is_replaced() {
    let server = Server::start(&[("/m/a.gz", A)]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.gz"), b"truncated").unwrap();

    download_a(&server, dir.path()).unwrap();

    assert_eq!(server.requests("/m/a.gz"), 1);
    assert_eq!(std::fs::read(dir.path().join("a.gz")).unwrap(), A);
}

#[test]
fn what_a_killed_download_left_is_removed() {
    let server = Server::start(&[("/m/a.gz", A)]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.tmp-x1Y2z3.gz"), b"half").unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"mine").unwrap();

    download_a(&server, dir.path()).unwrap();

    assert_eq!(listing(dir.path()), ["a.gz", "notes.txt"]);
}

#[test]
fn a_folder_that_cannot_be_made_is_named() {
    let server = Server::start(&[("/m/a.gz", A)]);
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let dir = file.join("mnist");

    let err = download_a(&server, &dir).unwrap_err();

    assert!(matches!(err, DownloadError::Write { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "MNIST could not be downloaded: cannot write {}: ",
            dir.display()
        )),
        "{message}"
    );
}

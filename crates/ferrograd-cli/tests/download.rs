//! Downloads from a tiny HTTP server on the loopback interface.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ferrograd_cli::download::{DownloadErrorKind, download_files, verify_sha256};
use sha2::{Digest, Sha256};

/// An HTTP/1.1 server on 127.0.0.1 that serves `files` by path (404
/// otherwise) and counts the requests per path. It stops when dropped.
struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<HashMap<String, usize>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(files: &[(&str, &[u8])]) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let files: HashMap<String, Vec<u8>> = files
            .iter()
            .map(|(path, body)| (path.to_string(), body.to_vec()))
            .collect();
        let requests = Arc::new(Mutex::new(HashMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = thread::spawn({
            let (requests, stop) = (requests.clone(), stop.clone());
            move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        serve(stream, &files, &requests);
                    }
                }
            }
        });
        Server {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// Base URL of the folder `dir` on this server, e.g. `http://127.0.0.1:1234/a/`.
    fn url(&self, dir: &str) -> String {
        format!("http://{}/{dir}", self.addr)
    }

    /// How many requests asked for `path`.
    fn requests(&self, path: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the stop flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers one request with the file or a 404, then closes the connection.
fn serve(
    stream: TcpStream,
    files: &HashMap<String, Vec<u8>>,
    requests: &Mutex<HashMap<String, usize>>,
) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Skip the headers, up to the empty line.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) && !line.trim_end().is_empty() {
        line.clear();
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    *requests.lock().unwrap().entry(path.clone()).or_default() += 1;
    let (status, body) = match files.get(&path) {
        Some(body) => ("200 OK", body.as_slice()),
        None => ("404 Not Found", b"not found".as_slice()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = &stream;
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

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

#[test]
fn downloads_and_verifies_every_file() {
    let server = Server::start(&[("/m/a.gz", A), ("/m/b.gz", B)]);
    let dir = tempfile::tempdir().unwrap();
    let (sha_a, sha_b) = (sha256_hex(A), sha256_hex(B));
    let files = [("a.gz", sha_a.as_str()), ("b.gz", sha_b.as_str())];

    download_files(dir.path(), &files, &[&server.url("m/")], false).unwrap();

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

    download_files(
        &dir,
        &[("a.gz", sha_a.as_str())],
        &[&server.url("m/")],
        true,
    )
    .unwrap();

    assert_eq!(std::fs::read(dir.join("a.gz")).unwrap(), A);
}

#[test]
fn checksum_mismatch_is_an_error_and_leaves_no_file() {
    let server = Server::start(&[("/m/a.gz", A)]);
    let dir = tempfile::tempdir().unwrap();
    let wrong = sha256_hex(b"something else");

    let err = download_files(
        dir.path(),
        &[("a.gz", wrong.as_str())],
        &[&server.url("m/")],
        false,
    )
    .unwrap_err();

    assert_eq!(err.file, "a.gz");
    match &err.kind {
        DownloadErrorKind::Mismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, &wrong);
            assert_eq!(actual, &sha256_hex(A));
        }
        other => panic!("expected a checksum mismatch, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("a.gz"), "{message}");
    assert!(message.contains("sha256 mismatch"), "{message}");
    assert!(
        message.contains(&dir.path().display().to_string()),
        "{message}"
    );
    assert!(message.contains("--data"), "{message}");
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
}

#[test]
fn falls_back_to_the_next_mirror_after_a_404() {
    let server = Server::start(&[("/second/a.gz", A)]);
    let dir = tempfile::tempdir().unwrap();
    let sha_a = sha256_hex(A);
    let mirrors = [server.url("first/"), server.url("second/")];
    let mirrors: Vec<&str> = mirrors.iter().map(String::as_str).collect();

    download_files(dir.path(), &[("a.gz", sha_a.as_str())], &mirrors, false).unwrap();

    assert_eq!(server.requests("/first/a.gz"), 1);
    assert_eq!(server.requests("/second/a.gz"), 1);
    assert_eq!(std::fs::read(dir.path().join("a.gz")).unwrap(), A);
}

#[test]
fn all_mirrors_failing_says_so_and_names_the_last_error() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let sha_a = sha256_hex(A);

    let err = download_files(
        dir.path(),
        &[("a.gz", sha_a.as_str())],
        &[&server.url("m/")],
        false,
    )
    .unwrap_err();

    assert!(matches!(err.kind, DownloadErrorKind::Unreachable(_)));
    let message = err.to_string();
    assert!(message.contains("could not reach any mirror"), "{message}");
    assert!(message.contains("404"), "{message}");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn unreachable_mirror_fails_fast_with_a_clear_error() {
    // A port that was just free: nothing listens there any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let sha_a = sha256_hex(A);
    let mirror = format!("http://127.0.0.1:{port}/");

    let start = Instant::now();
    let err =
        download_files(dir.path(), &[("a.gz", sha_a.as_str())], &[&mirror], false).unwrap_err();

    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(matches!(err.kind, DownloadErrorKind::Unreachable(_)));
    let message = err.to_string();
    assert!(
        message.contains("a.gz: could not reach any mirror"),
        "{message}"
    );
    assert!(message.contains(&mirror), "{message}");
    assert!(message.contains("--data"), "{message}");
}

#[test]
fn a_good_file_on_disk_is_not_downloaded_again() {
    let server = Server::start(&[("/m/a.gz", A)]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.gz"), A).unwrap();
    let sha_a = sha256_hex(A);

    download_files(
        dir.path(),
        &[("a.gz", sha_a.as_str())],
        &[&server.url("m/")],
        false,
    )
    .unwrap();

    assert_eq!(server.requests("/m/a.gz"), 0);
}

#[test]
fn a_corrupt_file_on_disk_is_replaced() {
    let server = Server::start(&[("/m/a.gz", A)]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.gz"), b"truncated").unwrap();
    let sha_a = sha256_hex(A);

    download_files(
        dir.path(),
        &[("a.gz", sha_a.as_str())],
        &[&server.url("m/")],
        false,
    )
    .unwrap();

    assert_eq!(server.requests("/m/a.gz"), 1);
    assert_eq!(std::fs::read(dir.path().join("a.gz")).unwrap(), A);
}

#[test]
fn verify_sha256_hashes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("abc");
    std::fs::write(&path, b"abc").unwrap();

    assert_eq!(
        verify_sha256(&path).unwrap(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn the_error_is_one_line_that_says_where_to_put_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mirror = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let error = download_files(dir.path(), &[("a.gz", "00")], &[mirror.as_str()], false)
        .unwrap_err()
        .to_string();
    assert!(!error.contains('\n'), "{error}");
    assert!(
        error.starts_with("a.gz: could not reach any mirror"),
        "{error}"
    );
    assert!(error.contains("by hand, or pass `--data DIR`"), "{error}");
}

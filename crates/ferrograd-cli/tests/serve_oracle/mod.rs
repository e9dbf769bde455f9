//! What must hold whatever bytes a client sends `ferrograd serve`: shared by the `serve` fuzz
//! target of `fuzz/` (which includes this file by path) and `tests/fuzz_serve.rs`.
//!
//! [`ServeOracle`] runs the server's request loop (`serve::answer`, what `ferrograd serve` runs
//! once started) on a local port, over a small table like the real one. [`ServeOracle::check`]
//! sends one connection's bytes, closes its sending side, reads everything the server sends
//! back, and then:
//! - the answer is complete within [`ANSWER_WITHIN`] and the request loop is still running: no
//!   panic, no hang, and the server keeps serving;
//! - every response is a well-formed HTTP response (a status line, `Name: value` headers, a
//!   blank line, the body its headers announce) with one of the statuses the server and its HTTP
//!   library give; only the last one may be cut short, and only if the server reset the
//!   connection (it closed with unread bytes, after an error);
//! - a `200` response carries one of the table's bodies, whole, with that entry's content type:
//!   nothing outside the table is ever served;
//! - the first response answers the request as the table says, when the oracle can read the
//!   request line as the HTTP library does (`METHOD PATH VERSION`, up to the first CRLF): `200`
//!   with the body of PATH (before any `?` or `#`) exactly when PATH is in the table and the
//!   method is GET or HEAD (no body for HEAD), `404` when it is not, `405` for other methods.
//!   No path is ever resolved: `/../x`, `/%2e%2e/x` and `//x` are just keys not in the table.
//!
//! [`open_bug`] names the inputs that break these rules through open bugs of tiny_http 0.12
//! (its latest release), which `serve` cannot work around; the fuzz target passes over them, so
//! that the fuzzer looks further than the first of them, and `tests/fuzz_serve.rs` keeps one of
//! each as an ignored test.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use ferrograd_cli::serve::{Table, answer};
use tiny_http::Server;

/// How long the whole answer may take; far more than a local answer needs.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// The statuses a response may have: the table's answers (200, 404, 405) and tiny_http's own
/// for requests it cannot take (400 bad request line or header, 417 an `Expect` other than
/// `100-continue`, 505 HTTP/2.0 or 3.0).
pub const STATUSES: [u16; 6] = [200, 400, 404, 405, 417, 505];

/// The versions a status line may name: tiny_http answers in the request's version (so a
/// `HTTP/0.9` request gets a `HTTP/0.9` status line), and in 1.1 when it refuses a request.
const VERSIONS: [&str; 3] = ["HTTP/1.1", "HTTP/1.0", "HTTP/0.9"];

/// Why `request` breaks the rules through an open bug of tiny_http 0.12, if it may:
/// - a `Content-Length` of a million or more on a request whose body is not read (serve reads
///   none): tiny_http drains the unread body when the request is dropped, which `respond` does
///   in serve's request loop, into a zeroed buffer of the whole declared length
///   (`EqualReader::drop`). A length past what the system can allocate (`Content-Length:
///   99999999999999`) aborts `ferrograd serve`; a large one costs that much memory. (Fixed
///   upstream by tiny-http/tiny-http pull request 290, with a fixed-size buffer; not released.)
/// - a request line in `HTTP/2.0` or `HTTP/3.0`: tiny_http writes its `505` with a second writer
///   while the request still holds the first, which the second waits for: the connection never
///   gets an answer and its thread waits forever.
///
/// Matched loosely, so that no such input gets through: any line naming `content-length` (in
/// any case) with a run of 7 or more digits before the line's CRLF (smaller lengths are fuzzed), and `HTTP/2.0` or
/// `HTTP/3.0` anywhere.
pub fn open_bug(request: &[u8]) -> Option<&'static str> {
    let has = |needle: &[u8]| request.windows(needle.len()).any(|w| w == needle);
    if has(b"HTTP/2.0") || has(b"HTTP/3.0") {
        return Some("tiny_http never answers an HTTP/2.0 or 3.0 request line (505 deadlock)");
    }
    // What follows each `content-length` up to the end of its line (CRLF, as tiny_http reads).
    let lower = request.to_ascii_lowercase();
    let long_length = lower.windows(14).enumerate().any(|(at, w)| {
        w == b"content-length" && {
            let rest = &request[at..];
            let end = rest.windows(2).position(|w| w == b"\r\n");
            let line = end.map_or(rest, |end| &rest[..end]);
            line.split(|b| !b.is_ascii_digit())
                .any(|run| run.len() >= 7)
        }
    });
    long_length.then_some("tiny_http drains an unread body into one buffer of its declared length")
}

/// One entry of the table: URL path, content type, body.
type Entry = (String, &'static str, Vec<u8>);

/// The server's request loop on a local port, answering from a table like the real one.
pub struct ServeOracle {
    addr: SocketAddr,
    entries: Vec<Entry>,
    server: JoinHandle<()>,
}

/// What a check saw: the statuses of the responses, in order.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    /// Status of each response read whole.
    pub statuses: Vec<u16>,
    /// Whether the server reset the connection (the last response may then be cut short).
    pub reset: bool,
}

impl ServeOracle {
    /// Starts the request loop on `127.0.0.1`, on a port of the system's choice.
    pub fn start() -> ServeOracle {
        let page = b"<!doctype html><title>ferrograd</title>".to_vec();
        let model: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
        let entries: Vec<Entry> = vec![
            ("/".into(), "text/html; charset=utf-8", page.clone()),
            ("/index.html".into(), "text/html; charset=utf-8", page),
            (
                "/main.js".into(),
                "text/javascript; charset=utf-8",
                b"main()".to_vec(),
            ),
            (
                "/model.safetensors".into(),
                "application/octet-stream",
                model,
            ),
            (
                "/mnist/t10k-labels-idx1-ubyte.gz".into(),
                "application/octet-stream",
                b"\x1f\x8b labels".to_vec(),
            ),
            (
                "/config.json".into(),
                "application/json",
                br#"{"model":true,"data":null}"#.to_vec(),
            ),
        ];
        let server = Server::http("127.0.0.1:0").expect("a local port");
        let addr = server.server_addr().to_ip().expect("an IP address");
        let table = Table::new(entries.clone());
        let server = std::thread::spawn(move || answer(&server, &table));
        ServeOracle {
            addr,
            entries,
            server,
        }
    }

    /// Sends `request` on a new connection, closes its sending side, and checks everything the
    /// server sent back by the rules above; panics, saying which rule, if one is broken.
    pub fn check(&self, request: &[u8]) -> Answer {
        let mut stream = TcpStream::connect(self.addr).expect("the server accepts connections");
        stream.set_read_timeout(Some(ANSWER_WITHIN)).unwrap();
        // The server may answer and close before it has read everything: not an error.
        let _ = stream.write_all(request);
        let _ = stream.shutdown(Shutdown::Write);
        let mut bytes = Vec::new();
        let reset = match stream.read_to_end(&mut bytes) {
            Ok(_) => false,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!(
                    "no complete answer within {ANSWER_WITHIN:?} ({} bytes so far)",
                    bytes.len()
                )
            }
            // Reset by the server, which closed with bytes of ours unread: what came counts.
            Err(_) => true,
        };
        assert!(!self.server.is_finished(), "the request loop stopped");
        let statuses = self.check_responses(request, &bytes, reset);
        Answer { statuses, reset }
    }

    /// Checks the responses in `bytes`, the answer to `request`; their statuses.
    fn check_responses(&self, request: &[u8], mut bytes: &[u8], reset: bool) -> Vec<u16> {
        let (method, path) = request_line(request).unzip();
        let mut statuses = Vec::new();
        while !bytes.is_empty() {
            let first = statuses.is_empty();
            let response = match Response::parse(bytes) {
                Ok(response) => response,
                // The server closes after some errors: with our bytes unread, the kernel resets
                // the connection and may drop what it sent last.
                Err(Cut) if reset => break,
                Err(Cut) => panic!("a response cut short: {:?}", String::from_utf8_lossy(bytes)),
            };
            // Its body may be lost to a reset if nothing follows it.
            let may_be_cut = reset && response.len == bytes.len();
            let request = first.then(|| method.zip(path)).flatten();
            self.check_response(&response, request, may_be_cut);
            statuses.push(response.status);
            bytes = &bytes[response.len..];
        }
        statuses
    }

    /// Checks one response; `request` is the method and path it answers, when known;
    /// `may_be_cut`, its body may be missing (the connection was reset after its head).
    fn check_response(&self, response: &Response, request: Option<(&str, &str)>, may_be_cut: bool) {
        let Response {
            status,
            content_type,
            body,
            ..
        } = response;
        assert!(STATUSES.contains(status), "status {status}");
        if *status == 200 {
            let served = self.entries.iter().any(|(_, ty, b)| {
                content_type.as_deref() == Some(*ty) && (body.is_empty() || body == b)
            });
            assert!(
                served,
                "a 200 response that is no entry of the table: {response:?}"
            );
        }
        let Some((method, path)) = request else {
            return;
        };
        let key = path.split(['?', '#']).next().unwrap_or_default();
        let entry = self.entries.iter().find(|(k, _, _)| k == key);
        let expected = match (method, entry) {
            ("GET" | "HEAD", Some(_)) => 200,
            ("GET" | "HEAD", None) => 404,
            _ => 405,
        };
        // The HTTP library may refuse the request first (a bad header, an HTTP version it does
        // not speak): then its own status, never a file.
        let refused = matches!(status, 400 | 417 | 505);
        assert!(
            *status == expected || refused,
            "{method} {path:?} answered {status}, not {expected}: {response:?}"
        );
        if let (200, Some((_, ty, whole))) = (status, entry) {
            let want: &[u8] = if method == "HEAD" { &[] } else { whole };
            assert_eq!(content_type.as_deref(), Some(*ty), "{method} {path:?}");
            let cut = may_be_cut && body.is_empty();
            assert!(body == want || cut, "{method} {path:?}: not its body");
        }
    }
}

/// The method and path of the request line, read as tiny_http reads it (up to the first CRLF,
/// ASCII, trimmed, split at single spaces, a version it knows third), or `None` if it does not
/// read as one.
fn request_line(request: &[u8]) -> Option<(&str, &str)> {
    let end = request.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&request[..end]).ok()?;
    if !line.is_ascii() {
        return None;
    }
    let mut parts = line.trim().split(' ');
    let (method, path, version) = (parts.next()?, parts.next()?, parts.next()?);
    let known = ["HTTP/0.9", "HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/3.0"];
    known.contains(&version).then_some((method, path))
}

/// A response read off the connection.
struct Response {
    status: u16,
    content_type: Option<String>,
    /// The body, chunked encoding removed; empty for HEAD.
    body: Vec<u8>,
    /// Its length on the connection, head and body.
    len: usize,
    /// Its head, for messages.
    head: String,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} and {} bytes of body", self.head, self.body.len())
    }
}

/// The connection ended inside a response.
struct Cut;

impl Response {
    /// The response at the start of `bytes`, checked to be well-formed. An answer to HEAD has
    /// the headers of the answer to GET and no body: a response announcing a body that is
    /// followed by the end or by another response is read as one (no body the server sends
    /// starts with `HTTP/`).
    fn parse(bytes: &[u8]) -> Result<Response, Cut> {
        let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").ok_or(Cut)?;
        let head = std::str::from_utf8(&bytes[..head_end])
            .unwrap_or_else(|_| panic!("a response head that is not text: {bytes:?}"));
        let mut lines = head.split("\r\n");
        let status = status_of(lines.next().unwrap_or_default());
        let mut content_type = None;
        let mut length = None;
        let mut chunked = false;
        for line in lines {
            let (name, value) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("a header line without a colon: {line:?} in {head:?}"));
            assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':'),
                "header name {name:?} in {head:?}"
            );
            match name.to_ascii_lowercase().as_str() {
                "content-type" => content_type = Some(value.to_string()),
                "content-length" => length = Some(value.parse::<usize>().expect("a length")),
                "transfer-encoding" => {
                    assert_eq!(value, "chunked", "{head:?}");
                    chunked = true;
                }
                _ => {}
            }
        }
        let rest = &bytes[head_end + 4..];
        let head_only = rest.is_empty() || rest.starts_with(b"HTTP/");
        let (body, used) = if head_only || matches!(status, 100..=199 | 204 | 304) {
            (Vec::new(), 0)
        } else if chunked {
            assert!(length.is_none(), "both a length and chunks: {head:?}");
            dechunk(rest)?
        } else {
            let length = length.unwrap_or_else(|| panic!("a response without a length: {head:?}"));
            (rest.get(..length).ok_or(Cut)?.to_vec(), length)
        };
        Ok(Response {
            status,
            content_type,
            body,
            len: head_end + 4 + used,
            head: head.to_string(),
        })
    }
}

/// The body of a chunked transfer at the start of `bytes`, and the length it took.
fn dechunk(bytes: &[u8]) -> Result<(Vec<u8>, usize), Cut> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let line_end = at
            + bytes[at..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or(Cut)?;
        let size = std::str::from_utf8(&bytes[at..line_end]).expect("a chunk size");
        let size = usize::from_str_radix(size, 16).expect("a chunk size");
        let data = line_end + 2;
        let chunk = bytes.get(data..data + size).ok_or(Cut)?;
        assert_eq!(bytes.get(data + size..data + size + 2).ok_or(Cut)?, b"\r\n");
        body.extend_from_slice(chunk);
        at = data + size + 2;
        if size == 0 {
            return Ok((body, at));
        }
    }
}

/// The status of a status line `HTTP/x.y NNN reason`, checked to be well-formed and one the
/// server gives.
fn status_of(line: &str) -> u16 {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    assert!(VERSIONS.contains(&version), "status line {line:?}");
    let status: u16 = parts
        .next()
        .filter(|s| s.len() == 3)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("status line {line:?}"));
    assert!(STATUSES.contains(&status), "status {status} in {line:?}");
    assert!(
        parts.next().is_some_and(|reason| !reason.is_empty()),
        "status line {line:?}"
    );
    status
}

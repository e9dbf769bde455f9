//! What must hold whatever bytes a client sends `ferrograd serve`: shared by the `serve` fuzz
//! target of `fuzz/` (which includes this file by path) and `tests/fuzz_serve.rs`.
//!
//! [`ServeOracle`] runs the server's request loop (`serve::answer`, what `ferrograd serve` runs
//! once started) on a local port, over a small table like the real one. [`ServeOracle::check`]
//! sends one connection's bytes, closes its sending side, reads everything the server sends
//! back, and then:
//! - the answer is complete within [`ANSWER_WITHIN`] and the request loop is still running: no
//!   panic, no abort, no hang, and the server keeps serving;
//! - the server answers one request per connection and closes: a connection that sent anything
//!   gets exactly one response (a request cut short is a `400`), one that sent nothing gets none;
//!   the response may be cut short only if the connection was reset;
//! - the response is well-formed HTTP/1.1 (a status line, `Name: value` headers, a blank line,
//!   the body its `Content-Length` announces, never chunks) with `Connection: close` and one of
//!   the statuses the server gives;
//! - a `200` response carries one of the table's bodies, whole, with that entry's content type:
//!   nothing outside the table is ever served;
//! - the response answers the request as the table says, when the oracle can read the request
//!   line (`METHOD PATH VERSION`, single spaces, up to the first line end): for `HTTP/1.0` and
//!   `HTTP/1.1`, `200` with the body of PATH (before any `?` or `#`) exactly when PATH is in the
//!   table and the method is GET or HEAD (no body for HEAD), `404` when it is not, `405` for
//!   other methods, unless the head is refused (`400` malformed, `431` too large); for any other
//!   version, `505` or `400`, never a file. No path is ever resolved: `/../x`, `/%2e%2e/x` and
//!   `//x` are just keys not in the table.
//!
//! The body a request announces is never read, whatever its `Content-Length`
//! (`99999999999999` included) or `Transfer-Encoding`: only the head is.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use ferrograd_cli::serve::{Table, answer};

/// How long the whole answer may take; far more than a local answer needs.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// The statuses a response may have: the table's answers (200, 404, 405) and the refusals of a
/// request the server cannot take (400 malformed or cut short, 431 a head over
/// `serve::MAX_HEAD` bytes or with too many headers, 505 an HTTP version other than 1.0 and
/// 1.1). (408, for a client that stops sending inside its head, takes longer than a check.)
pub const STATUSES: [u16; 6] = [200, 400, 404, 405, 431, 505];

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
        let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
        let addr = listener.local_addr().expect("an IP address");
        let table = Table::new(entries.clone());
        let server = std::thread::spawn(move || answer(&listener, &table));
        ServeOracle {
            addr,
            entries,
            server,
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
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
        let line = request_line(request);
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
            assert!(first, "a second response on one connection: {response:?}");
            let line = line.filter(|_| first);
            self.check_response(&response, line, may_be_cut);
            statuses.push(response.status);
            bytes = &bytes[response.len..];
        }
        let expected = usize::from(!request.is_empty());
        assert!(
            statuses.len() == expected || reset,
            "{} responses to {} bytes",
            statuses.len(),
            request.len()
        );
        statuses
    }

    /// Checks one response; `request` is the method and path it answers, when known;
    /// `may_be_cut`, its body may be missing (the connection was reset after its head).
    fn check_response(
        &self,
        response: &Response,
        request: Option<(&str, &str, &str)>,
        may_be_cut: bool,
    ) {
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
        let Some((method, path, version)) = request else {
            return;
        };
        if !matches!(version, "HTTP/1.0" | "HTTP/1.1") {
            assert!(
                matches!(status, 400 | 505),
                "{method} {path:?} {version:?} answered {status}: {response:?}"
            );
            return;
        }
        let key = path.split(['?', '#']).next().unwrap_or_default();
        let entry = self.entries.iter().find(|(k, _, _)| k == key);
        let expected = match (method, entry) {
            ("GET" | "HEAD", Some(_)) => 200,
            ("GET" | "HEAD", None) => 404,
            _ => 405,
        };
        // The head may be refused first (a bad header, one too many, too long): then a refusal,
        // never a file.
        let refused = matches!(status, 400 | 431);
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

/// The method, path and version of the request line (up to the first LF, without a CR before
/// it; ASCII; three parts split at single spaces), or `None` if it does not read as one.
fn request_line(request: &[u8]) -> Option<(&str, &str, &str)> {
    let end = request.iter().position(|b| *b == b'\n')?;
    let line = std::str::from_utf8(&request[..end]).ok()?;
    let line = line.strip_suffix('\r').unwrap_or(line);
    if !line.is_ascii() {
        return None;
    }
    let mut parts = line.split(' ');
    let line = (parts.next()?, parts.next()?, parts.next()?);
    parts.next().is_none().then_some(line)
}

/// A response read off the connection.
struct Response {
    status: u16,
    content_type: Option<String>,
    /// The body; empty for HEAD.
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
    /// followed by the end is read as one (the server closes after its one response).
    fn parse(bytes: &[u8]) -> Result<Response, Cut> {
        let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").ok_or(Cut)?;
        let head = std::str::from_utf8(&bytes[..head_end])
            .unwrap_or_else(|_| panic!("a response head that is not text: {bytes:?}"));
        let mut lines = head.split("\r\n");
        let status = status_of(lines.next().unwrap_or_default());
        let mut content_type = None;
        let mut length = None;
        let mut close = false;
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
                "connection" => close = value == "close",
                "transfer-encoding" => panic!("a transfer encoding: {head:?}"),
                _ => {}
            }
        }
        assert!(close, "no `Connection: close`: {head:?}");
        let length = length.unwrap_or_else(|| panic!("a response without a length: {head:?}"));
        let rest = &bytes[head_end + 4..];
        let (body, used) = if rest.is_empty() {
            (Vec::new(), 0)
        } else {
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

/// The status of a status line `HTTP/x.y NNN reason`, checked to be well-formed and one the
/// server gives.
fn status_of(line: &str) -> u16 {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    assert_eq!(version, "HTTP/1.1", "status line {line:?}");
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

//! `ferrograd serve`: the page built into `web/dist/`, the weights and the MNIST files over HTTP.
//!
//! Every response comes from a table filled at start: the page's files read by a fixed list of
//! names, `model.safetensors` (checked to hold the recipe's weights), the four MNIST files
//! (checked to parse) and `config.json`, which tells the page what is there. A request is
//! answered by looking its path up in that table, so no request path ever reaches the file
//! system.
//!
//! The HTTP is HTTP/1.x over std's `TcpListener`, with `httparse` reading the request's head:
//! one request per connection, answered with `Connection: close`; a head of at most
//! [`MAX_HEAD`] bytes, read within [`HEAD_WITHIN`]; no request body ever read, whatever its
//! declared length. Whatever a client sends ends in a response (or, for a client that sent
//! nothing, none), never in a panic, an abort or an allocation past [`MAX_HEAD`].

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrograd::data::{FILE_NAMES, Mnist};
use ferrograd::nn::{Activation, LoadedMlp, Module, to_bytes};
use ferrograd::train::recipe;

use crate::cli::ServeArgs;
use crate::error::{CliError, ServeError};
use crate::model_file;

/// The files `web/build.sh` writes into `web/dist/`, with their content types.
pub const PAGE_FILES: [(&str, &str); 6] = [
    ("index.html", "text/html; charset=utf-8"),
    ("style.css", "text/css; charset=utf-8"),
    ("main.js", "text/javascript; charset=utf-8"),
    ("worker.js", "text/javascript; charset=utf-8"),
    ("pkg/ferrograd_web.js", "text/javascript; charset=utf-8"),
    ("pkg/ferrograd_web_bg.wasm", "application/wasm"),
];

/// One response body and its content type.
#[derive(Clone)]
struct Entry {
    content_type: &'static str,
    /// Shared, so a response does not copy it.
    body: Arc<[u8]>,
}

/// Everything `serve` answers with, by URL path: filled at start, read by [`answer`].
pub struct Table(HashMap<String, Entry>);

impl Table {
    /// A table of the given `(URL path, content type, body)` entries, such as
    /// `("/index.html", "text/html", ...)`; `run` fills its own from the files it checks. For tests
    /// and fuzzing of [`answer`].
    pub fn new(entries: impl IntoIterator<Item = (String, &'static str, Vec<u8>)>) -> Table {
        let entries = entries.into_iter().map(|(path, content_type, body)| {
            let body = body.into();
            (path, Entry { content_type, body })
        });
        Table(entries.collect())
    }
}

/// Answers every connection that reaches `listener` from `table`, for as long as the process
/// runs: what `ferrograd serve` does once it has started. Each connection gets one response to
/// its one request, then is closed (see `connection`).
///
/// Each connection is handled on a thread of its own, which ends within [`HEAD_WITHIN`] of the
/// connection's start, plus the time to write the answer (each write may wait 10 s for the
/// client to read), plus at most 2 s of reading what the client still sends: a slow or silent
/// client holds only its own thread, never the others'. The number of threads
/// is not bounded, which is fine for a local development server (it listens on 127.0.0.1 unless
/// told otherwise); a server facing the internet would want a bounded pool.
pub fn answer(listener: &TcpListener, table: &Table) {
    std::thread::scope(|scope| {
        for stream in listener.incoming() {
            let Ok(stream) = stream else {
                // A connection that failed before it was accepted, or no file descriptor left
                // (then it fails again at once): wait a little rather than spin.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            // If the system has no thread to spare, the connection is dropped: closed, unanswered.
            let _ = std::thread::Builder::new()
                .name("serve connection".into())
                .spawn_scoped(scope, move || connection(stream, table));
        }
    });
}

/// The most a request's head (request line and headers) may take; a longer one gets `431`.
pub const MAX_HEAD: usize = 16 * 1024;

/// The most header lines a request may have; more get `431`.
const MAX_HEADERS: usize = 100;

/// How long a client has from connecting to the end of its request's head.
pub const HEAD_WITHIN: Duration = Duration::from_secs(10);

/// How long one write of the answer may wait for the client to read.
const WRITE_WITHIN: Duration = Duration::from_secs(10);

/// How long, and how many bytes, a connection is read after its answer, before it is closed.
const LINGER: (Duration, usize) = (Duration::from_secs(2), 1 << 20);

/// Answers one connection and closes it: reads the request's head (never its body), writes one
/// response with `Connection: close`, and closes. Nothing it is sent can make it panic, allocate
/// more than [`MAX_HEAD`] bytes, or wait longer than its timeouts.
fn connection(mut stream: TcpStream, table: &Table) {
    let Some(response) = read_request(&mut stream, table) else {
        return;
    };
    let _ = stream.set_write_timeout(Some(WRITE_WITHIN));
    // A client that went away is its own business.
    if response.write_to(&mut stream).is_err() {
        return;
    }
    // Closing with unread bytes (a body, a second request) would make the system reset the
    // connection, and the client could lose the answer: say we are done, then read and drop
    // what the client still sends, for a while, and close.
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER.0;
    let mut scratch = [0; 4096];
    let mut drained = 0;
    while drained < LINGER.1 {
        match read_before(&mut stream, &mut scratch, deadline) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// Reads into `buf` what `stream` sends before `deadline`: `Ok(0)` at the end of the stream, an
/// error of kind `TimedOut` (or `WouldBlock`, as the system reports it) when the deadline passes
/// first. The one place where reads wait, so that no client can hold a connection past it.
fn read_before(
    stream: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
) -> std::io::Result<usize> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(buf) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            read => return read,
        }
    }
}

/// Reads a request's head off `stream` and the response to it, or `None` if the client sent
/// nothing, or went away.
fn read_request(stream: &mut TcpStream, table: &Table) -> Option<Response> {
    let deadline = Instant::now() + HEAD_WITHIN;
    let mut head = vec![0; MAX_HEAD];
    let mut len = 0;
    loop {
        let read = match read_before(stream, &mut head[len..], deadline) {
            Ok(read) => read,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (len > 0).then(|| Response::error(408));
            }
            Err(_) => return None,
        };
        len += read;
        // A head ends at a line end: parse only when a line is complete, at the end of the
        // connection, or when the head has no room left.
        let full = len == MAX_HEAD;
        if read == 0 || full || head[len - read..len].contains(&b'\n') {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut request = httparse::Request::new(&mut headers);
            let response = match request.parse(&head[..len]) {
                Ok(httparse::Status::Complete(_)) => {
                    let method = request.method.unwrap_or_default();
                    let path = request.path.unwrap_or_default();
                    respond(&table.0, method, path)
                }
                Err(httparse::Error::Version) => Response::error(version_status(&head[..len])),
                Err(httparse::Error::TooManyHeaders) => Response::error(431),
                Err(_) => Response::error(400),
                Ok(httparse::Status::Partial) if full => Response::error(431),
                Ok(httparse::Status::Partial) if read == 0 => {
                    // The client stopped sending inside the head: nothing, or a request cut short.
                    return (len > 0).then(|| Response::error(400));
                }
                Ok(httparse::Status::Partial) => continue,
            };
            return Some(response);
        }
    }
}

/// The status for a request line whose version httparse refuses: `505` if it is `HTTP/` and a
/// digit (an HTTP version, not 1.0 or 1.1), `400` if it is no HTTP version at all.
fn version_status(head: &[u8]) -> u16 {
    let start = head.iter().position(|b| !matches!(b, b'\r' | b'\n'));
    let line = &head[start.unwrap_or(head.len())..];
    let line = line
        .split(|b| matches!(b, b'\r' | b'\n'))
        .next()
        .unwrap_or_default();
    let version = line.splitn(3, |b| *b == b' ').nth(2).unwrap_or_default();
    match version {
        [b'H', b'T', b'T', b'P', b'/', digit, ..] if digit.is_ascii_digit() => 505,
        _ => 400,
    }
}

/// Reads everything `serve` offers, then answers requests until the process is stopped.
pub fn run(args: &ServeArgs) -> Result<(), CliError> {
    let page = args.page.clone().unwrap_or_else(default_page_dir);
    let mut table = page_files(&page)?;
    let activation = args.trained_with.activation;
    let model = match &args.model {
        Some(path) => {
            let (entry, loaded) = model_file(path, activation)?;
            table.insert("/model.safetensors".into(), entry);
            Some((path, loaded))
        }
        None => None,
    };
    // The cache folder only if a download put the files there; `data_files` checks them.
    let data_dir = Mnist::named_dir(args.data.data.as_deref()).or_else(|| {
        let cache = Mnist::cache_dir();
        let has =
            |name: &str| cache.join(format!("{name}.gz")).is_file() || cache.join(name).is_file();
        FILE_NAMES.iter().all(|name| has(name)).then_some(cache)
    });
    let data = match &data_dir {
        Some(dir) => Some(data_files(dir, &mut table)?),
        None => None,
    };
    let config = serde_json::json!({ "model": model.is_some(), "data": data });
    table.insert(
        "/config.json".into(),
        Entry {
            content_type: "application/json",
            body: config.to_string().into_bytes().into(),
        },
    );

    let addr = SocketAddr::new(args.host, args.port);
    let listen_error = |e: std::io::Error| ServeError::Listen {
        addr,
        reason: e.to_string(),
    };
    let listener = TcpListener::bind(addr).map_err(listen_error)?;
    let bound = listener.local_addr().map_err(listen_error)?;
    if let Some((_, loaded)) = &model {
        model_file::note_assumption(loaded, activation);
    }
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "Serving the page on http://{bound}/ ({}; {}). Stop with Ctrl-C.",
        model.map_or("untrained model".to_string(), |(p, loaded)| format!(
            "model {}, {}",
            p.display(),
            loaded.mlp.architecture().expect("an MLP has one")
        )),
        data_dir.map_or("no MNIST files".to_string(), |d| format!(
            "MNIST from {}",
            d.display()
        )),
    );
    let _ = out.flush();
    answer(&listener, &Table(table));
    Ok(())
}

/// The page's build folder of this source tree, `web/dist` beside the crates.
fn default_page_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist")
}

/// The page's files, by their URL paths (`/` is `index.html`).
fn page_files(dir: &Path) -> Result<HashMap<String, Entry>, ServeError> {
    let mut table = HashMap::new();
    for (name, content_type) in PAGE_FILES {
        let path = dir.join(name);
        let body = std::fs::read(&path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => ServeError::MissingPage { path: path.clone() },
            _ => ServeError::Read {
                path: path.clone(),
                source,
            },
        })?;
        let body = body.into();
        table.insert(format!("/{name}"), Entry { content_type, body });
    }
    let index = table["/index.html"].clone();
    table.insert("/".into(), index);
    Ok(table)
}

/// The model file, read as `eval` reads it (with `--activation`, `activation`) and checked to
/// hold the recipe's sizes (784-256-256-10), and the network read. It is served as ferrograd
/// writes it, recording its architecture, so the page builds the network read here, also from a
/// file that records none.
fn model_file(
    path: &Path,
    activation: Option<Activation>,
) -> Result<(Entry, LoadedMlp<f32>), CliError> {
    let body = std::fs::read(path).map_err(|source| ServeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let loaded = model_file::read_bytes(path, &body, activation)?;
    if loaded.mlp.sizes() != recipe::SIZES {
        return Err(ServeError::NotTheRecipe {
            path: path.to_path_buf(),
            architecture: loaded.mlp.architecture().expect("an MLP has one"),
        }
        .into());
    }
    let body = to_bytes(&loaded.mlp).expect("the recipe's tensors are small enough to describe");
    let entry = Entry {
        content_type: "application/octet-stream",
        body: body.into(),
    };
    Ok((entry, loaded))
}

/// Adds the four MNIST files of `dir` (checked to parse) to the table under `/mnist/NAME` and
/// returns their URL paths for the page.
fn data_files(
    dir: &Path,
    table: &mut HashMap<String, Entry>,
) -> Result<HashMap<&'static str, String>, CliError> {
    Mnist::load(dir)?;
    let keys = ["train_images", "train_labels", "test_images", "test_labels"];
    let mut urls = HashMap::new();
    for (key, name) in keys.into_iter().zip(FILE_NAMES) {
        // What Mnist::load read: NAME.gz if present, else NAME.
        let file = [format!("{name}.gz"), name.to_string()]
            .into_iter()
            .find(|f| dir.join(f).is_file())
            .unwrap_or_else(|| name.to_string());
        let path = dir.join(&file);
        let body = std::fs::read(&path).map_err(|source| ServeError::Read { path, source })?;
        let url = format!("/mnist/{file}");
        table.insert(
            url.clone(),
            Entry {
                content_type: "application/octet-stream",
                body: body.into(),
            },
        );
        urls.insert(key, url.trim_start_matches('/').to_string());
    }
    Ok(urls)
}

/// The answer to a request for `url`: its table entry, 404 for anything not in the table, 405
/// for methods other than GET and HEAD (which are case-sensitive: `get` is another method).
fn respond(table: &HashMap<String, Entry>, method: &str, url: &str) -> Response {
    if !matches!(method, "GET" | "HEAD") {
        return Response::error(405);
    }
    let head_only = method == "HEAD";
    let path = url.split(['?', '#']).next().unwrap_or_default();
    match table.get(path) {
        Some(entry) => Response {
            status: 200,
            entry: entry.clone(),
            head_only,
        },
        None => Response {
            head_only,
            ..Response::error(404)
        },
    }
}

/// The reason phrase of each status `serve` answers with, and the body of an error with it (`505`
/// for any other).
fn status_words(status: u16) -> (&'static str, &'static str) {
    match status {
        200 => ("OK", ""),
        400 => ("Bad Request", "bad request\n"),
        404 => ("Not Found", "not found\n"),
        405 => ("Method Not Allowed", "only GET and HEAD\n"),
        408 => ("Request Timeout", "the request took too long\n"),
        431 => (
            "Request Header Fields Too Large",
            "request head too large\n",
        ),
        _ => ("HTTP Version Not Supported", "only HTTP/1.0 and HTTP/1.1\n"),
    }
}

/// One response, always closing the connection.
struct Response {
    status: u16,
    entry: Entry,
    /// An answer to HEAD: the headers of the answer to GET, no body.
    head_only: bool,
}

impl Response {
    /// A plain-text response with a status other than 200, saying what went wrong.
    fn error(status: u16) -> Response {
        let entry = Entry {
            content_type: "text/plain; charset=utf-8",
            body: status_words(status).1.as_bytes().into(),
        };
        Response {
            status,
            entry,
            head_only: false,
        }
    }

    /// Writes the response: its head, then its body unless it answers HEAD.
    fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        let (reason, _) = status_words(self.status);
        let extra = match self.status {
            200 => "Cache-Control: no-cache\r\n",
            405 => "Allow: GET, HEAD\r\n",
            _ => "",
        };
        let Entry { content_type, body } = &self.entry;
        let head = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             X-Content-Type-Options: nosniff\r\n{extra}Connection: close\r\n\r\n",
            self.status,
            body.len(),
        );
        out.write_all(head.as_bytes())?;
        if !self.head_only {
            out.write_all(body)?;
        }
        out.flush()
    }
}

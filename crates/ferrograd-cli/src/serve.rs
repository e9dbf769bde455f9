//! `ferrograd serve`: the page built into `web/dist/`, the weights and the MNIST files over HTTP.
//!
//! Every response comes from a table filled at start: the page's files read by a fixed list of
//! names, `model.safetensors` (checked to hold the recipe's weights), the four MNIST files
//! (checked to parse) and `config.json`, which tells the page what is there. A request is
//! answered by looking its path up in that table, so no request path ever reaches the file
//! system.

use std::collections::HashMap;
use std::io::{Cursor, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrograd::data::{FILE_NAMES, Mnist};
use ferrograd::nn::{Activation, Mlp, load_bytes};
use tiny_http::{Header, Method, Response, Server, StatusCode};

use crate::cli::ServeArgs;
use crate::data_source;
use crate::download::default_cache_dir;
use crate::error::CliError;

/// The files `web/build.sh` writes into `web/dist/`, with their content types.
pub const PAGE_FILES: [(&str, &str); 6] = [
    ("index.html", "text/html; charset=utf-8"),
    ("style.css", "text/css; charset=utf-8"),
    ("main.js", "text/javascript; charset=utf-8"),
    ("worker.js", "text/javascript; charset=utf-8"),
    ("pkg/ferrograd_web.js", "text/javascript; charset=utf-8"),
    ("pkg/ferrograd_web_bg.wasm", "application/wasm"),
];

/// The layer sizes of the model the page runs: the recipe's.
const RECIPE: [usize; 4] = [784, 256, 256, 10];

/// Why `serve` could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A file of the page's build is missing.
    #[error(
        "the page is not built: {} is missing (run `bash web/build.sh`, or pass --page DIR)",
        .path.display()
    )]
    MissingPage {
        /// The missing file.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The address could not be listened on (the port is in use, say).
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
}

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

/// Answers every request that reaches `server` from `table`, until the server is dropped: what
/// `ferrograd serve` does once it has started.
pub fn answer(server: &Server, table: &Table) {
    for request in server.incoming_requests() {
        let response = respond(&table.0, request.method(), request.url());
        // A client that went away is its own business.
        let _ = request.respond(response);
    }
}

/// Reads everything `serve` offers, then answers requests until the process is stopped.
pub fn run(args: &ServeArgs) -> Result<(), CliError> {
    let page = args.page.clone().unwrap_or_else(default_page_dir);
    let mut table = page_files(&page)?;
    let model = match &args.model {
        Some(path) => {
            table.insert("/model.safetensors".into(), model_file(path)?);
            Some(path)
        }
        None => None,
    };
    // The cache folder only if a download put the files there; `data_files` checks them.
    let data_dir = data_source::named_folder(&args.data).or_else(|| {
        let cache = default_cache_dir();
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
    let server = Server::http(addr).map_err(|e| ServeError::Listen {
        addr,
        reason: e.to_string(),
    })?;
    let bound = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| ServeError::Listen {
            addr,
            reason: "not an IP address".into(),
        })?;
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "Serving the page on http://{bound}/ ({}; {}). Stop with Ctrl-C.",
        model.map_or("untrained model".to_string(), |p| format!(
            "model {}",
            p.display()
        )),
        data_dir.map_or("no MNIST files".to_string(), |d| format!(
            "MNIST from {}",
            d.display()
        )),
    );
    let _ = out.flush();
    answer(&server, &Table(table));
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

/// The model file, checked to hold the recipe's weights (784-256-256-10).
fn model_file(path: &Path) -> Result<Entry, CliError> {
    let body = std::fs::read(path).map_err(|source| ServeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_bytes(&Mlp::<f32>::new(&RECIPE, Activation::Tanh, 0), path, &body)?;
    Ok(Entry {
        content_type: "application/octet-stream",
        body: body.into(),
    })
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
/// for methods other than GET and HEAD.
fn respond(
    table: &HashMap<String, Entry>,
    method: &Method,
    url: &str,
) -> Response<Cursor<Arc<[u8]>>> {
    let header = |name: &str, value: &str| {
        Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid ASCII header")
    };
    let answer = |status: u16, content_type: &str, body: Arc<[u8]>| {
        let len = body.len();
        Response::new(
            StatusCode(status),
            vec![
                header("Content-Type", content_type),
                header("X-Content-Type-Options", "nosniff"),
            ],
            Cursor::new(body),
            Some(len),
            None,
        )
    };
    let text = "text/plain; charset=utf-8";
    if !matches!(method, Method::Get | Method::Head) {
        return answer(405, text, Arc::from(&b"only GET and HEAD\n"[..]))
            .with_header(header("Allow", "GET, HEAD"));
    }
    let path = url.split(['?', '#']).next().unwrap_or_default();
    match table.get(path) {
        Some(entry) => answer(200, entry.content_type, Arc::clone(&entry.body))
            .with_header(header("Cache-Control", "no-cache")),
        None => answer(404, text, Arc::from(&b"not found\n"[..])),
    }
}

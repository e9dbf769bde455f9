//! `ferrograd serve`: what it answers, what it refuses, and how it fails to start.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use common::{Fixture, assert_one_line_error, command, ferrograd, s, without_metadata};
use ferrograd::nn::{Activation, Mlp, save};

/// The page's files as `web/build.sh` writes them, each holding its own name.
const PAGE: [&str; 6] = [
    "index.html",
    "style.css",
    "main.js",
    "worker.js",
    "pkg/ferrograd_web.js",
    "pkg/ferrograd_web_bg.wasm",
];

/// A fixture with a fake page build in `page/` and the recipe's weights in `model.safetensors`.
fn fixture() -> (Fixture, PathBuf, PathBuf) {
    let fixture = Fixture::new(40, 20);
    let page = fixture.path("page");
    std::fs::create_dir_all(page.join("pkg")).unwrap();
    for name in PAGE {
        std::fs::write(page.join(name), format!("contents of {name}")).unwrap();
    }
    let model = fixture.path("model.safetensors");
    save(
        &Mlp::<f32>::new(&[784, 256, 256, 10], Activation::Tanh, 5),
        &model,
    )
    .unwrap();
    (fixture, page, model)
}

/// A running `ferrograd serve`, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    /// Its first line, which names the port and what is served.
    line: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `ferrograd serve --port 0 ARGS` and waits for its first line, which names the port.
fn start(args: &[&str]) -> Server {
    start_with_cache(args, None)
}

/// [`start`] serving everything [`fixture`] made: the page, the model and the data.
fn start_all(fixture: &Fixture, page: &Path, model: &Path) -> Server {
    start(&[
        "--page",
        s(page),
        "--model",
        s(model),
        "--data",
        s(&fixture.data()),
    ])
}

/// As [`start`], with the user's cache folder (where MNIST may have been downloaded) at `cache`.
fn start_with_cache(args: &[&str], cache: Option<&Path>) -> Server {
    let mut all = vec!["serve", "--port", "0"];
    all.extend_from_slice(args);
    let mut command = command(&all);
    if let Some(cache) = cache {
        command.env("XDG_CACHE_HOME", cache);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    Server { child, port, line }
}

/// The status line, headers and body of a raw HTTP/1.0 request `METHOD TARGET`.
fn request(port: u16, method: &str, target: &str) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{method} {target} HTTP/1.0\r\nHost: localhost\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response");
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, response[split + 4..].to_vec())
}

fn get(port: u16, target: &str) -> (u16, String, Vec<u8>) {
    request(port, "GET", target)
}

#[test]
fn serves_the_page_the_model_and_the_data() {
    let (fixture, page, model) = fixture();
    let server = start_all(&fixture, &page, &model);
    for name in PAGE {
        let (status, head, body) = get(server.port, &format!("/{name}"));
        assert_eq!(status, 200, "{name}: {head}");
        assert_eq!(body, format!("contents of {name}").as_bytes());
    }
    let (_, head, body) = get(server.port, "/");
    assert_eq!(body, b"contents of index.html");
    assert!(head.contains("text/html"), "{head}");
    let (_, head, _) = get(server.port, "/pkg/ferrograd_web_bg.wasm");
    assert!(head.contains("Content-Type: application/wasm"), "{head}");
    let (_, _, body) = get(server.port, "/index.html?v=2");
    assert_eq!(body, b"contents of index.html");

    let (status, _, body) = get(server.port, "/model.safetensors");
    assert_eq!(status, 200);
    assert_eq!(body, std::fs::read(&model).unwrap());
    for name in common::FILES {
        let (status, _, body) = get(server.port, &format!("/mnist/{name}"));
        assert_eq!(status, 200, "{name}");
        assert_eq!(body, std::fs::read(fixture.data().join(name)).unwrap());
    }
    let (_, head, body) = get(server.port, "/config.json");
    assert!(head.contains("application/json"));
    let config: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(config["model"], true);
    assert_eq!(
        config["data"]["test_labels"],
        "mnist/t10k-labels-idx1-ubyte"
    );

    let (status, _, body) = request(server.port, "HEAD", "/main.js");
    assert_eq!((status, body.len()), (200, 0));
    let (status, head, _) = request(server.port, "POST", "/index.html");
    assert_eq!(status, 405, "{head}");
    assert!(head.contains("Allow: GET, HEAD"), "{head}");
}

#[test]
fn no_request_path_reaches_the_file_system() {
    let (fixture, page, model) = fixture();
    // Files next to the served ones, which a path joined onto a folder would reach.
    std::fs::write(page.join("secret.txt"), "secret").unwrap();
    std::fs::write(fixture.data().join("secret.txt"), "secret").unwrap();
    let server = start_all(&fixture, &page, &model);
    let data = fixture.data();
    let absolute = format!("/{}", s(&data.join("secret.txt")).trim_start_matches('/'));
    for target in [
        "/secret.txt",
        "/mnist/secret.txt",
        "/../Cargo.toml",
        "/pkg/../secret.txt",
        "/pkg/../../page/secret.txt",
        "/%2e%2e/%2e%2e/Cargo.toml",
        "/..%2f..%2fetc/passwd",
        "/mnist/../model.safetensors",
        "/mnist/..%2f..%2fmodel.safetensors",
        "//etc/passwd",
        "/etc/passwd",
        "/./index.html",
        "/index.html/",
        "/INDEX.HTML",
        "/pkg/",
        "/mnist/",
        "/data/train-images-idx3-ubyte",
        "/model.safetensors/..",
        "/index.html%00",
        "\\..\\Cargo.toml",
        absolute.as_str(),
        "http://127.0.0.1/../../etc/passwd",
    ] {
        let (status, head, body) = get(server.port, target);
        assert_eq!(status, 404, "{target}: {head}");
        assert_eq!(body, b"not found\n", "{target}");
    }
}

#[test]
fn without_model_or_data_the_page_starts_untrained() {
    let (fixture, page, _) = fixture();
    let server = start_with_cache(&["--page", s(&page)], Some(&fixture.path("cache")));
    let (_, _, body) = get(server.port, "/config.json");
    let config: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(config["model"], false);
    assert_eq!(get(server.port, "/model.safetensors").0, 404);
    assert_eq!(get(server.port, "/mnist/t10k-labels-idx1-ubyte").0, 404);
}

fn serve_error(args: &[&str], needles: &[&str]) {
    let mut all = vec!["serve", "--port", "0"];
    all.extend_from_slice(args);
    assert_one_line_error(&ferrograd(&all), 2, needles);
}

#[test]
fn a_missing_page_build_is_one_line() {
    let (fixture, page, _) = fixture();
    let empty = fixture.path("nothing");
    serve_error(
        &["--page", s(&empty)],
        &["not built", "index.html", "web/build.sh"],
    );
    std::fs::remove_file(page.join("pkg/ferrograd_web_bg.wasm")).unwrap();
    serve_error(
        &["--page", s(&page)],
        &["ferrograd_web_bg.wasm", "web/build.sh"],
    );
}

#[test]
fn a_port_in_use_is_one_line() {
    let (_fixture, page, _) = fixture();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = command(&["serve", "--page", s(&page), "--port", &port])
        .output()
        .unwrap();
    assert_one_line_error(
        &output,
        2,
        &["cannot listen on", &format!("127.0.0.1:{port}")],
    );
}

#[test]
fn a_bad_model_file_is_one_line() {
    let (fixture, page, _) = fixture();
    let check = |model: &Path, needles: &[&str]| {
        serve_error(&["--page", s(&page), "--model", s(model)], needles);
    };
    let missing = fixture.path("missing.safetensors");
    check(&missing, &["cannot read", "missing.safetensors"]);
    let text = fixture.path("notes.txt");
    std::fs::write(&text, "not a model").unwrap();
    check(&text, &["notes.txt"]);
    let small = fixture.path("small.safetensors");
    save(
        &Mlp::<f32>::new(&[784, 32, 10], Activation::Tanh, 0),
        &small,
    )
    .unwrap();
    check(
        &small,
        &[
            "small.safetensors",
            "784-32-10 tanh",
            "recipe's 784-256-256-10",
        ],
    );
    let f64_model = fixture.path("f64.safetensors");
    save(
        &Mlp::<f64>::new(&[784, 256, 256, 10], Activation::Tanh, 0),
        &f64_model,
    )
    .unwrap();
    check(&f64_model, &["f64.safetensors", "dtype"]);
}

#[test]
fn the_model_is_served_as_the_network_it_records() {
    let (fixture, page, _) = fixture();
    let network = Mlp::<f32>::new(&[784, 256, 256, 10], Activation::Relu, 5);
    let relu = fixture.path("relu.safetensors");
    save(&network, &relu).unwrap();
    let written = std::fs::read(&relu).unwrap();
    let server = start(&["--page", s(&page), "--model", s(&relu)]);
    assert!(
        server.line.contains("784-256-256-10 relu float32"),
        "{}",
        server.line
    );
    assert_eq!(get(server.port, "/model.safetensors").2, written);
    serve_error(
        &[
            "--page",
            s(&page),
            "--model",
            s(&relu),
            "--activation",
            "tanh",
        ],
        &["--activation tanh", "relu.safetensors", "records relu"],
    );

    // A file that records nothing: read as --activation says, or tanh, with a note on stderr,
    // and served recording it, so that the page builds the same network.
    let old = fixture.path("old.safetensors");
    std::fs::write(&old, without_metadata(&network)).unwrap();
    for (flags, activation) in [(&["--activation", "relu"][..], "relu"), (&[], "tanh")] {
        let mut args = vec!["--page", s(&page), "--model", s(&old)];
        args.extend(flags);
        let mut server = start(&args);
        let mut note = String::new();
        BufReader::new(server.child.stderr.take().unwrap())
            .read_line(&mut note)
            .unwrap();
        let architecture = format!("784-256-256-10 {activation} float32");
        assert!(note.starts_with("ferrograd: note: "), "{note}");
        assert!(
            note.contains(s(&old)) && note.contains(&architecture),
            "{note}"
        );
        assert!(server.line.contains(&architecture), "{}", server.line);
        let served = get(server.port, "/model.safetensors").2;
        let loaded = Mlp::<f32>::from_safetensors_bytes("served", &served, None).unwrap();
        assert!(
            loaded.assumed.is_none(),
            "the served file records its network"
        );
        assert_eq!(loaded.mlp.activation().name(), activation);
        if activation == "relu" {
            assert_eq!(served, written, "as ferrograd writes that network");
        }
    }
}

#[test]
fn bad_data_is_one_line() {
    let (fixture, page, _) = fixture();
    let data = fixture.data();
    std::fs::write(data.join("t10k-labels-idx1-ubyte"), b"broken").unwrap();
    serve_error(
        &["--page", s(&page), "--data", s(&data)],
        &["t10k-labels-idx1-ubyte"],
    );
    serve_error(
        &["--page", s(&page), "--data", s(&fixture.path("none"))],
        &["none"],
    );
    serve_error(&["--page", s(&page), "--host", "localhost"], &["--host"]);
}

#[test]
fn the_download_cache_serves_when_no_folder_is_named() {
    let (fixture, page, _) = fixture();
    let cache = fixture.path("cache");
    common::write_dataset(&cache.join("ferrograd").join("mnist"), 30, 10, 28, 28);
    let server = start_with_cache(&["--page", s(&page)], Some(&cache));
    let (_, _, body) = get(server.port, "/config.json");
    let config: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        config["data"]["train_images"],
        "mnist/train-images-idx3-ubyte"
    );
    assert_eq!(get(server.port, "/mnist/train-labels-idx1-ubyte").0, 200);
}

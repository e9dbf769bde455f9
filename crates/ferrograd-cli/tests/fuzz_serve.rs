//! `ferrograd serve`'s request handling, by the rules of its fuzz target (`fuzz/`, target
//! `serve`; the rules are in `serve_oracle/mod.rs`, shared with it): on the kinds of request its
//! seeds hold (`fuzz/make_seeds.py` writes the same ones), each with the statuses it must get,
//! and on any input the fuzzer found to break a rule.

mod serve_oracle;

use std::sync::LazyLock;

use serve_oracle::ServeOracle;

/// One server for the whole file, as in the fuzz target: it keeps answering whatever came before.
static ORACLE: LazyLock<ServeOracle> = LazyLock::new(ServeOracle::start);

/// Checks `request` by the rules, and that its responses have `statuses`; the server may have
/// reset the connection after an error and so lost its last responses.
#[track_caller]
fn check(request: &[u8], statuses: &[u16]) {
    let answer = ORACLE.check(request);
    let lost = answer.reset && statuses.starts_with(&answer.statuses);
    assert!(
        answer.statuses == statuses || lost,
        "{:?}: {answer:?}, not {statuses:?}",
        String::from_utf8_lossy(request)
    );
}

#[test]
fn the_table_s_files_by_get_and_head() {
    check(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", &[200]);
    check(
        b"GET /model.safetensors HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        &[200],
    );
    check(b"HEAD /index.html HTTP/1.0\r\n\r\n", &[200]);
    check(b"GET /config.json?download=1#top HTTP/1.1\r\n\r\n", &[200]);
    check(
        b"GET /mnist/t10k-labels-idx1-ubyte.gz HTTP/1.1\r\n\r\n",
        &[200],
    );
    // Lines may end in a bare LF, and empty lines before the request line are skipped.
    check(b"\r\n\nGET /main.js HTTP/1.1\nHost: x\n\n", &[200]);
    // The client asks for chunks or an upgrade: the same body, whole, with its length.
    check(
        b"GET /model.safetensors HTTP/1.1\r\nTE: chunked\r\n\r\n",
        &[200],
    );
    check(
        b"GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n",
        &[200],
    );
}

#[test]
fn no_path_leaves_the_table() {
    let paths = [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd?x=1#y",
        "/..%2f..%2fetc%2fpasswd",
        "//etc/passwd",
        "/mnist/../config.json",
        "/./index.html",
        "/index.html/",
        "/INDEX.HTML",
        "/index.html%00.txt",
        "/Cargo.toml",
        "/src/serve.rs",
        "http://localhost/config.json",
        "*",
        "/é",
    ];
    for path in paths {
        check(format!("GET {path} HTTP/1.1\r\n\r\n").as_bytes(), &[404]);
    }
    // No path at all, or one that is not UTF-8: malformed.
    check(b"GET  HTTP/1.1\r\n\r\n", &[400]);
    check(b"GET /\xff HTTP/1.1\r\n\r\n", &[400]);
}

#[test]
fn only_get_and_head() {
    check(
        b"POST /config.json HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        &[405],
    );
    check(b"DELETE / HTTP/1.1\r\n\r\n", &[405]);
    check(b"get / HTTP/1.1\r\n\r\n", &[405]);
    check(b"BREW /pot HTTP/1.1\r\n\r\n", &[405]);
    // A body is never read, so it is never taken for a request.
    check(
        b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        &[405],
    );
    let body = "GET /config.json HTTP/1.1\r\n\r\n".repeat(40);
    let smuggled = format!("POST / HTTP/1.1\r\nContent-Length: 999999\r\n\r\n{body}");
    check(smuggled.as_bytes(), &[405]);
    // Answered at once, without waiting for a body that does not come.
    check(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc", &[405]);
}

#[test]
fn one_request_per_connection() {
    // The server answers the first request and closes: what follows it is never answered.
    check(
        b"GET /config.json HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        &[200],
    );
    check(
        b"HEAD /model.safetensors HTTP/1.1\r\n\r\nGET /model.safetensors HTTP/1.1\r\n\r\n",
        &[200],
    );
    check(
        b"GET /nothing HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET / HTTP/1.1\r\n\r\n",
        &[404],
    );
    check(b"GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\n\r\n", &[200]);
}

#[test]
fn malformed_requests() {
    check(b"GET  / HTTP/1.1\r\n\r\n", &[400]);
    check(b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", &[400]);
    check(b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", &[400]);
    check(b"GET / HTTX/1.1\r\n\r\n", &[400]);
    check(b"GET / HTTP/1.1 \r\n\r\n", &[400]);
    // Cut short by the end of the connection: a request that never ended, so malformed.
    check(b"\r\n\r\n", &[400]);
    check(b"GET", &[400]);
    check(b"GET / HTTP/1.1\r\nHost: x", &[400]);
    // Nothing sent, nothing answered.
    check(b"", &[]);
    // Expectations are not refused: the server never reads a body, so never needs to say
    // `100 Continue`, and an unknown one changes nothing.
    check(b"GET / HTTP/1.1\r\nExpect: teapot\r\n\r\n", &[200]);
    check(
        b"GET / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        &[200],
    );
}

#[test]
fn http_versions_other_than_1_0_and_1_1() {
    // Once found by the fuzzer, with tiny_http 0.12: a request line in HTTP/2.0 or 3.0 was never
    // answered (its 505 waited for the request's own writer, forever).
    check(b"GET / HTTP/2.0\r\n\r\n", &[505]);
    check(b"HEAD / HTTP/3.0\r\n\r\nGET / HTTP/1.1\r\n\r\n", &[505]);
    check(b"GET / HTTP/9.9\r\n\r\n", &[505]);
    check(b"GET /main.js HTTP/0.9\r\n\r\n", &[505]);
    check(b"GET / HTTP/2\r\n\r\n", &[505]);
    check(b"GET / HTTP/1.2\r\n\r\n", &[505]);
}

#[test]
fn huge_heads() {
    // The head (request line and headers) is bounded: 16 KiB, and 100 headers.
    let long = format!("GET / HTTP/1.1\r\nX-Fill: {}\r\n\r\n", "a".repeat(100_000));
    check(long.as_bytes(), &[431]);
    let fits = format!("GET / HTTP/1.1\r\nX-Fill: {}\r\n\r\n", "a".repeat(16_000));
    check(fits.as_bytes(), &[200]);
    let many: String = (0..2000).map(|i| format!("X-{i}: {i}\r\n")).collect();
    check(
        format!("GET /config.json HTTP/1.1\r\n{many}\r\n").as_bytes(),
        &[431],
    );
    let hundred: String = (0..100).map(|i| format!("X-{i}: {i}\r\n")).collect();
    check(
        format!("GET /config.json HTTP/1.1\r\n{hundred}\r\n").as_bytes(),
        &[200],
    );
    let path = format!("/{}", "../".repeat(10_000));
    check(format!("GET {path} HTTP/1.1\r\n\r\n").as_bytes(), &[431]);
    let path = format!("/{}", "../".repeat(1_000));
    check(format!("GET {path} HTTP/1.1\r\n\r\n").as_bytes(), &[404]);
}

#[test]
fn a_silent_client_holds_up_no_one_else() {
    use std::io::Write;
    // Connections that stop inside their head, left open: each holds only its own thread.
    let silent: Vec<_> = (0..20)
        .map(|_| {
            let mut stream = std::net::TcpStream::connect(ORACLE.addr()).unwrap();
            stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
            stream
        })
        .collect();
    check(b"GET /config.json HTTP/1.1\r\n\r\n", &[200]);
    drop(silent);
}

/// Once found by the fuzzer, with tiny_http 0.12: a declared body far larger than memory, not
/// sent, made tiny_http drain it into a zeroed buffer of the declared length when the request was
/// dropped, and `ferrograd serve` aborted ("memory allocation of 99999999999999 bytes failed").
/// The body is never read now, whatever its length; the server answers, and lives on.
#[test]
fn a_huge_declared_body_is_not_read() {
    check(
        b"GET / HTTP/1.1\r\nContent-Length: 99999999999999\r\n\r\n",
        &[200],
    );
    check(
        b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        &[405],
    );
    check(b"GET /main.js HTTP/1.1\r\n\r\n", &[200]);
}

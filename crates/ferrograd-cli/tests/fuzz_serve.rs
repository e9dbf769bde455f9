//! `ferrograd serve`'s request handling, by the rules of its fuzz target (`fuzz/`, target
//! `serve`; the rules are in `serve_oracle/mod.rs`, shared with it): on the kinds of request its
//! seeds hold (`fuzz/make_seeds.py` writes the same ones), each with the statuses it must get,
//! and on any input the fuzzer found to break a rule.

mod serve_oracle;

use std::sync::LazyLock;

use serve_oracle::{ServeOracle, open_bug};

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
    // A request in HTTP/0.9 is answered in it (tiny_http echoes the version).
    check(b"GET /main.js HTTP/0.9\r\n\r\n", &[200]);
    // The client asks for chunks: the same body, chunked.
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
        "",
    ];
    for path in paths {
        check(format!("GET {path} HTTP/1.1\r\n\r\n").as_bytes(), &[404]);
    }
    // Not ASCII: tiny_http drops the connection without an answer.
    check("GET /é HTTP/1.1\r\n\r\n".as_bytes(), &[]);
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
    // A body serve does not read is read as the next request when tiny_http has not buffered it
    // (chunked, or over 1024 bytes): here `5` is a bad request line. Only the client's own
    // connection is confused, and every answer still comes from the table.
    check(
        b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        &[405, 400],
    );
    let body = "GET /config.json HTTP/1.1\r\n\r\n".repeat(40);
    let smuggled = format!("POST / HTTP/1.1\r\nContent-Length: 999999\r\n\r\n{body}");
    check(smuggled.as_bytes(), &[405]);
}

#[test]
fn several_requests_on_one_connection() {
    check(
        b"GET /config.json HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        &[200, 200],
    );
    check(
        b"HEAD /model.safetensors HTTP/1.1\r\n\r\nGET /model.safetensors HTTP/1.1\r\n\r\n",
        &[200, 200],
    );
    check(
        b"GET /nothing HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET / HTTP/1.1\r\n\r\n",
        &[404, 405, 200],
    );
    // After HTTP/1.0 (or `Connection: close`) the server reads no more.
    check(b"GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\n\r\n", &[200]);
}

#[test]
fn what_the_http_library_refuses() {
    check(b"GET / HTTP/9.9\r\n\r\n", &[400]);
    check(b"GET  / HTTP/1.1\r\n\r\n", &[400]);
    check(b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", &[400]);
    check(b"GET / HTTP/1.1\r\nExpect: teapot\r\n\r\n", &[417]);
    check(b"\r\n\r\n", &[400]);
    // Nothing to answer: no whole request line, or a body the connection ends inside.
    check(b"", &[]);
    check(b"GET", &[]);
    check(b"GET / HTTP/1.1\r\nHost: x", &[]);
    check(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc", &[]);
    // 100-continue is sent only when the body is read, and serve never reads one.
    check(
        b"GET / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        &[200],
    );
}

#[test]
fn huge_headers() {
    // tiny_http sets no limit on a header's length or on their number.
    let long = format!("GET / HTTP/1.1\r\nX-Fill: {}\r\n\r\n", "a".repeat(100_000));
    check(long.as_bytes(), &[200]);
    let many: String = (0..2000).map(|i| format!("X-{i}: {i}\r\n")).collect();
    check(
        format!("GET /config.json HTTP/1.1\r\n{many}\r\n").as_bytes(),
        &[200],
    );
    let path = format!("/{}", "../".repeat(10_000));
    check(format!("GET {path} HTTP/1.1\r\n\r\n").as_bytes(), &[404]);
}

// ------------------------------------------------------------------ found by the fuzzer

// ------------------------------------------------------------------ open bugs of tiny_http 0.12
// Inputs that break the rules through tiny_http (see `serve_oracle::open_bug`); the fuzz target
// passes over inputs like them. Ignored: the first aborts the test process, the second waits
// for [`serve_oracle::ANSWER_WITHIN`] and fails. Run with `--ignored` once tiny_http is fixed.

/// A declared body far larger than memory, not sent: when `respond` drops the request, tiny_http
/// drains the body into a zeroed buffer of the declared length, and the allocation fails:
/// "memory allocation of 99999999999999 bytes failed", and `ferrograd serve` aborts.
const HUGE_BODY: &[u8] = b"GET / HTTP/1.1\r\nContent-Length: 99999999999999\r\n\r\n";

/// A request line in HTTP/2.0: tiny_http's 505 waits for the request's own writer, forever.
const HTTP_2: &[u8] = b"GET / HTTP/2.0\r\n\r\n";

#[test]
#[ignore = "open: tiny_http 0.12 aborts the process (EqualReader::drop allocates the declared length)"]
fn a_huge_declared_body_is_refused_without_aborting() {
    check(HUGE_BODY, &[200]);
}

#[test]
#[ignore = "open: tiny_http 0.12 never answers (its 505 waits for the request's writer)"]
fn an_http_2_request_line_gets_505() {
    check(HTTP_2, &[505]);
    check(
        b"HEAD / HTTP/3.0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        &[505, 200],
    );
}

/// The fuzz target's filter catches both, in any case and however spelled, and nothing else
/// the seeds hold.
#[test]
fn the_open_bugs_are_recognised() {
    assert!(open_bug(HUGE_BODY).is_some());
    assert!(open_bug(HTTP_2).is_some());
    assert!(open_bug(b"POST / HTTP/1.1\r\ncOnTeNt-LeNgTh:\t+0001234567\r\n\r\n").is_some());
    assert!(open_bug(b"HEAD / HTTP/1.1\r\n\r\nGET / HTTP/3.0\r\n\r\n").is_some());
    assert!(open_bug(b"POST / HTTP/1.1\r\nContent-Length: 999999\r\n\r\n").is_none());
    assert!(open_bug(b"GET /1234567 HTTP/1.1\r\nContent-Length: 5\r\n\r\n").is_none());
}

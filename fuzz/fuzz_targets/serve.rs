//! `ferrograd serve`'s request handling: the input is what one client sends on one connection,
//! parsed by the server (`httparse` for the head) and answered by its request loop
//! (`serve::answer`) from a small table, over a loopback socket. The rules, shared with
//! `crates/ferrograd-cli/tests/fuzz_serve.rs`, are in `serve_oracle/mod.rs` there.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/ferrograd-cli/tests/serve_oracle/mod.rs"]
mod serve_oracle;

use serve_oracle::ServeOracle;

/// One server for the whole run: it must keep answering whatever came before.
static ORACLE: LazyLock<ServeOracle> = LazyLock::new(ServeOracle::start);

fuzz_target!(|data: &[u8]| {
    ORACLE.check(data);
});

//! `ferrograd serve`'s request handling: the input is what one client sends on one connection,
//! parsed by the server's HTTP library (`tiny_http`) and answered by its request loop
//! (`serve::answer`) from a small table, over a loopback socket. The rules, shared with
//! `crates/ferrograd-cli/tests/fuzz_serve.rs`, are in `serve_oracle/mod.rs` there. Inputs that
//! break them through the open bugs of tiny_http that `serve_oracle::open_bug` names are passed
//! over (and kept out of the corpus), so that the fuzzer looks further.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::{Corpus, fuzz_target};

#[path = "../../crates/ferrograd-cli/tests/serve_oracle/mod.rs"]
mod serve_oracle;

use serve_oracle::{ServeOracle, open_bug};

/// One server for the whole run: it must keep answering whatever came before.
static ORACLE: LazyLock<ServeOracle> = LazyLock::new(ServeOracle::start);

fuzz_target!(|data: &[u8]| -> Corpus {
    if open_bug(data).is_some() {
        return Corpus::Reject;
    }
    ORACLE.check(data);
    Corpus::Keep
});

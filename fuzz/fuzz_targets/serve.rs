//! `ferrograd serve`'s request handling: the input is what one client sends on one connection,
//! parsed by the server (`httparse` for the head) and answered by its request loop
//! (`serve::answer`) from a small table, over a loopback socket. The rules, shared with
//! `crates/ferrograd-cli/tests/fuzz_serve.rs`, are in `serve_oracle/mod.rs` there.
#![no_main]

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/ferrograd-cli/tests/serve_oracle/mod.rs"]
mod serve_oracle;

use serve_oracle::ServeOracle;

/// One server for the whole run: it must keep answering whatever came before.
static ORACLE: LazyLock<ServeOracle> = LazyLock::new(ServeOracle::start);

/// The number of threads once the server runs, before any connection.
static IDLE_THREADS: LazyLock<usize> = LazyLock::new(|| {
    LazyLock::force(&ORACLE);
    threads()
});

/// The threads of this process now.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |tasks| tasks.count())
}

fuzz_target!(|data: &[u8]| {
    let idle = *IDLE_THREADS;
    ORACLE.check(data);
    // The connection's thread ends by itself once it reads the client's close. Wait for that
    // (at most 5 s), so that LeakSanitizer, which checks between inputs, does not find the
    // 32 bytes glibc keeps for the thread's thread-local destructors, freed as the thread exits,
    // still held by a thread that is on its way out (it reported them as a leak once in 53K
    // inputs).
    let deadline = Instant::now() + Duration::from_secs(5);
    while threads() > idle && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(50));
    }
});

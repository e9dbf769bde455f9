//! WebAssembly: one thread. A page's WebAssembly runs on the thread that called it (a Web Worker
//! or the page's own), and `std::thread::spawn` is not available, so every part of a split job
//! runs on the caller, in order. The interface is the thread pool's.

/// Accepts any count of at least 1; work still runs on the calling thread alone here.
///
/// # Panics
/// When `threads` is 0.
pub fn set_num_threads(threads: usize) {
    assert!(threads > 0, "the thread count must be at least 1");
}

/// Always 1 on this target.
pub fn num_threads() -> usize {
    1
}

/// Runs `job` on each of `parts` in order on the calling thread.
pub(crate) fn run_each<P>(parts: Vec<P>, _work: usize, job: impl Fn(P)) {
    parts.into_iter().for_each(job);
}

/// 1: no part is split off.
pub(crate) fn parts_for(_work: usize, _min_per_part: usize) -> usize {
    1
}

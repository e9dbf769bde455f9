//! Pinning glibc's malloc thresholds, as the reference programs in `rust-peers` do; `train`,
//! `eval` (in `main`) and `bench` pin them.
//!
//! glibc serves blocks above its mmap threshold (128 KiB at start, such as a 784×256 `f32`
//! gradient) with a fresh `mmap` and returns freed memory at the heap top to the system eagerly.
//! It raises both thresholds only after the program frees a large block, so the same training
//! loop runs at different speeds depending on what happened to be freed before it. Pinning the
//! thresholds makes the step reuse its memory from the first step on.

/// Pins glibc's mmap threshold at 32 MiB and its trim threshold at 256 MiB. Returns whether it
/// did (`false` on platforms without glibc).
pub fn pin() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `mallopt` has no preconditions: it sets one parameter of the allocator under
        // the allocator's own lock (glibc `malloc/malloc.c`), so it is safe from any thread and
        // at any time, and touches no memory of ours.
        let mmap = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20) };
        // SAFETY: as above.
        let trim = unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20) };
        mmap == 1 && trim == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

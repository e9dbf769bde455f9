//! Helpers shared by the integration tests of `ferrograd` (and, by path, the fuzz targets of
//! `fuzz/`): a counting global allocator that can also limit a thread's heap, temporary
//! folders, and IDX and gzip file writers.
//!
//! Each test binary compiles its own copy of this module (`mod common;`) and uses only some of
//! it, so items unused by one binary would warn as dead code there.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use flate2::Compression;
use flate2::write::GzEncoder;

// ------------------------------------------------------------------ allocation accounting

thread_local! {
    /// Bytes this thread holds now, and the most it held since the last [`take_peak`] or
    /// [`peak_during`].
    static HELD: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    /// The most bytes this thread may hold (see [`limited`]).
    static LIMIT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Counts an allocation of `grow` bytes and a release of `shrink`; false, counting nothing, if
/// the thread would then hold more than its [`limited`] amount.
fn count(grow: usize, shrink: usize) -> bool {
    let limit = LIMIT.try_with(Cell::get).unwrap_or(usize::MAX);
    // `try_with`: allocations during thread teardown are not counted.
    HELD.try_with(|held| {
        let (now, peak) = held.get();
        let now = now.saturating_add(grow).saturating_sub(shrink);
        if now > limit && grow > 0 {
            return false;
        }
        held.set((now, peak.max(now)));
        true
    })
    .unwrap_or(true)
}

/// A global allocator that forwards to `System` and counts the bytes each thread holds.
/// A test binary installs it with
/// `#[global_allocator] static ALLOCATOR: common::Counting = common::Counting;`.
pub struct Counting;

// SAFETY: every call is forwarded unchanged to `System`; only a counter is updated around it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !count(layout.size(), 0) {
            return std::ptr::null_mut();
        }
        // SAFETY: our caller's promises about `layout` (`GlobalAlloc::alloc`) are `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !count(layout.size(), 0) {
            return std::ptr::null_mut();
        }
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(0, layout.size());
        // SAFETY: every block came from `System`, as this allocator forwards all of them to it;
        // our caller promises that `ptr` is live and was allocated with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Both blocks exist for a moment. Refused, the old block stays as it was.
        if !count(new_size, 0) {
            return std::ptr::null_mut();
        }
        count(0, layout.size());
        // SAFETY: as for `dealloc`, and our caller promises a valid `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// The bytes this thread holds now.
pub fn held() -> usize {
    HELD.with(|held| held.get().0)
}

/// The most bytes this thread held since the last call; starts a new period.
pub fn take_peak() -> usize {
    HELD.with(|held| {
        let (now, peak) = held.get();
        held.set((now, now));
        peak
    })
}

/// Runs `f` and returns its result and the most heap it held at once beyond what was held
/// before, in bytes.
pub fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = HELD.with(|held| {
        let (now, _) = held.get();
        held.set((now, now));
        now
    });
    let result = f();
    let peak = HELD.with(|held| held.get().1);
    (result, peak - before)
}

/// Runs `f` with this thread allowed to hold at most `bytes` more heap than it holds now: an
/// allocation past that fails, and Rust aborts the process naming its size. A test of "never
/// allocates more than the input backs" then fails at the allocation, before an input that
/// asks for terabytes can take the machine's memory.
pub fn limited<R>(bytes: usize, f: impl FnOnce() -> R) -> R {
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            LIMIT.with(|limit| limit.set(self.0));
        }
    }
    let now = held();
    let _restore = Restore(LIMIT.with(|limit| limit.replace(now.saturating_add(bytes))));
    f()
}

// ------------------------------------------------------------------ files

/// A fresh folder under the system temp dir, deleted on drop. Its name carries the test
/// binary's name (`ferrograd-data-idx-…`), the process id and a counter.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let binary = env!("CARGO_CRATE_NAME").replace('_', "-");
        let path =
            std::env::temp_dir().join(format!("ferrograd-{binary}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// Writes `bytes` to `name` in this folder and returns its path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `bytes` gzip-compressed at `level`.
pub fn gzip_at(level: Compression, bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), level);
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// An IDX header: the big-endian `magic` number, then each of `dims`.
pub fn idx_header(magic: u32, dims: &[u32]) -> Vec<u8> {
    std::iter::once(magic)
        .chain(dims.iter().copied())
        .flat_map(u32::to_be_bytes)
        .collect()
}

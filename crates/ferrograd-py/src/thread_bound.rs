//! [`ThreadBound`]: a value that only the thread which made it may touch.
//!
//! A ferrograd graph is built of `Rc` handles, so it lives on one thread. Python objects can be
//! passed to any thread, though. Each Python object of this crate that holds tensors keeps them in
//! a `ThreadBound`, which hands them out only on their own thread and otherwise raises a
//! `RuntimeError` that says so (PyO3's `unsendable` classes would raise "Already mutably
//! borrowed", which misleads).

use std::cell::Cell;
use std::mem::ManuallyDrop;
use std::thread::{self, ThreadId};

use pyo3::PyResult;
use pyo3::exceptions::PyRuntimeError;

thread_local! {
    static CURRENT: Cell<Option<ThreadId>> = const { Cell::new(None) };
}

/// The calling thread's id, read from a thread-local after the first call (a `ThreadId` is
/// cheaper to read there than through `thread::current()`, which clones a handle).
fn current() -> ThreadId {
    CURRENT.with(|cell| match cell.get() {
        Some(id) => id,
        None => {
            let id = thread::current().id();
            cell.set(Some(id));
            id
        }
    })
}

/// `value`, reachable only from the thread that created the `ThreadBound`.
pub struct ThreadBound<T> {
    owner: ThreadId,
    value: ManuallyDrop<T>,
}

// SAFETY: the value is reached only through `get`, which returns it only on the thread that
// created it (`owner`; thread ids are never reused), and it is dropped only there (`Drop` leaks
// it on any other thread). A `&T` from `get` leaves that thread only if `T: Sync` (else `&T` is
// not `Send`), and then sharing it is sound by `T`'s own promise. So a `T` that is not `Sync`
// (an `Rc` graph) is only ever touched by one thread, and moving the `ThreadBound` itself moves
// only bytes, which is sound for any `T` that is then never used on the new thread.
unsafe impl<T> Send for ThreadBound<T> {}
// SAFETY: as for `Send`: shared references to a `ThreadBound` reach the value only via `get`.
unsafe impl<T> Sync for ThreadBound<T> {}

impl<T> ThreadBound<T> {
    /// `value`, bound to the calling thread.
    pub fn new(value: T) -> Self {
        ThreadBound {
            owner: current(),
            value: ManuallyDrop::new(value),
        }
    }

    /// The value, on its own thread; a `RuntimeError` naming `what` on any other.
    #[inline]
    pub fn get(&self, what: &str) -> PyResult<&T> {
        if current() == self.owner {
            Ok(&self.value)
        } else {
            Err(PyRuntimeError::new_err(format!(
                "this {what} belongs to the thread that created it and cannot be used from \
                 another thread (ferrograd graphs are single-threaded); create tensors on the \
                 thread that uses them"
            )))
        }
    }
}

impl<T> Drop for ThreadBound<T> {
    fn drop(&mut self) {
        if current() == self.owner {
            // SAFETY: dropped once, here, on the owner thread; `value` is not used afterwards.
            unsafe { ManuallyDrop::drop(&mut self.value) }
        }
        // On another thread the value is leaked: its reference counts may only change on the
        // thread that owns the graph.
    }
}

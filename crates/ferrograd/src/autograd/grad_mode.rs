//! Turning graph recording off: [`no_grad`].

use std::cell::Cell;

thread_local! {
    static RECORDING: Cell<bool> = const { Cell::new(true) };
}

/// Runs `f` without recording a graph: results of operations inside do not require grad, so
/// nothing is kept for a backward pass. Use it for evaluation and for parameter updates.
///
/// ```
/// use ferrograd::{no_grad, Tensor};
/// let w = Tensor::<f32>::ones(&[2]).requires_grad();
/// let y = no_grad(|| &w * 3.0);
/// assert!(!y.needs_grad());
/// assert!((&w * 3.0).needs_grad());
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            RECORDING.with(|r| r.set(self.0));
        }
    }
    let _restore = Restore(RECORDING.with(|r| r.replace(false)));
    f()
}

/// Whether operations on this thread currently record a graph (false inside [`no_grad`]).
pub fn is_grad_enabled() -> bool {
    RECORDING.with(Cell::get)
}

/// Turns graph recording on this thread on (`true`) or off, and returns whether it was on: what
/// [`no_grad`] does around a closure, for scopes that are not a closure (the Python module's
/// `with ferrograd.no_grad():` sets it on entry and restores the returned value on exit).
///
/// ```
/// use ferrograd::{is_grad_enabled, set_grad_enabled};
/// let was = set_grad_enabled(false);
/// assert!(!is_grad_enabled());
/// set_grad_enabled(was);
/// assert!(is_grad_enabled());
/// ```
pub fn set_grad_enabled(enabled: bool) -> bool {
    RECORDING.with(|r| r.replace(enabled))
}

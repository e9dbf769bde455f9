//! [`OptimError`]: an optimizer setting out of its range, and the rules every caller shares.

use crate::kernels::Element;

/// An optimizer setting outside its range. [`Sgd::try_new`](super::Sgd::try_new) and
/// [`Adam::try_new`](super::Adam::try_new) return it; the panicking constructors panic with its
/// message, and the command line and the Python module show that message as it is.
///
/// The rules, PyTorch's, with non-finite numbers refused as well:
/// - `lr`, `momentum`, `weight_decay`: finite and `>= 0` (a learning rate of 0 is allowed: the
///   parameters stay as they are);
/// - Adam's `betas`: each in `[0, 1)`;
/// - Adam's `eps`: finite and `> 0` (with 0, a parameter whose gradient has been zero so far
///   becomes NaN: 0/0).
///
/// ```
/// use ferrograd::optim::{Sgd, SgdConfig};
/// use ferrograd::Tensor;
///
/// let p = Tensor::<f32>::zeros(&[2]).requires_grad();
/// let err = Sgd::try_new(vec![p], SgdConfig::new(-0.1)).err().unwrap();
/// assert_eq!(err.to_string(), "SGD: lr must be a finite number >= 0, got -0.1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{optimizer}: {setting} must be {rule}, got {value}")]
pub struct OptimError {
    /// `"SGD"` or `"Adam"`.
    pub optimizer: &'static str,
    /// The setting, e.g. `"lr"`.
    pub setting: &'static str,
    /// What it must be, e.g. `"a finite number >= 0"`.
    pub rule: &'static str,
    /// The value given, as it prints.
    pub value: String,
}

/// The range a setting must lie in.
#[derive(Clone, Copy)]
pub(super) enum Range {
    /// Finite and `>= 0`.
    AtLeastZero,
    /// Finite and `> 0`.
    AboveZero,
    /// In `[0, 1)`.
    Fraction,
}

impl Range {
    /// `Ok` when `value` lies in the range, else the error naming `optimizer` and `setting`.
    pub(super) fn check<T: Element>(
        self,
        optimizer: &'static str,
        setting: &'static str,
        value: T,
    ) -> Result<(), OptimError> {
        let (ok, rule) = match self {
            Range::AtLeastZero => (
                value.is_finite() && value >= T::zero(),
                "a finite number >= 0",
            ),
            Range::AboveZero => (
                value.is_finite() && value > T::zero(),
                "a finite number > 0",
            ),
            Range::Fraction => (value >= T::zero() && value < T::one(), "in [0, 1)"),
        };
        if ok {
            return Ok(());
        }
        Err(OptimError {
            optimizer,
            setting,
            rule,
            value: value.to_string(),
        })
    }
}

//! Checking analytic gradients against central finite differences, in `f64`.

use ndarray::ArrayD;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::autograd::{Tensor, no_grad};
use crate::error::{TensorError, unwrap_or_fail};

/// How far each input's analytic gradient is from the numeric one.
#[derive(Debug, Clone, PartialEq)]
pub struct GradcheckReport {
    /// Per input, the largest `|analytic - numeric| / max(1, |analytic|, |numeric|)` over its
    /// elements: a relative error, absolute for gradients smaller than 1.
    pub errors: Vec<f64>,
}

impl GradcheckReport {
    /// The worst error over all inputs.
    pub fn max_error(&self) -> f64 {
        self.errors.iter().copied().fold(0.0, f64::max)
    }

    /// Whether every input's error is below `tolerance`.
    pub fn passed(&self, tolerance: f64) -> bool {
        self.max_error() < tolerance
    }
}

/// Compares the gradients `backward` computes for `f` at `inputs` with central differences
/// `(f(x + eps) - f(x - eps)) / 2eps`, element by element.
///
/// `f`'s output may have any shape: it is weighted by a fixed random upstream gradient (not just
/// ones, so that mixed-up output elements are caught) and summed.
///
/// ```
/// use ferrograd::gradcheck;
/// use ndarray::array;
/// let x = array![[0.5, -1.0], [2.0, 0.25]].into_dyn();
/// let report = gradcheck(|t| (&t[0] * &t[0]).tanh(), &[x], 1e-6);
/// assert!(report.passed(1e-6), "{report:?}");
/// ```
///
/// # Panics
/// When `f`'s output does not require grad, or its shape changes between calls; see
/// [`try_gradcheck`].
#[track_caller]
pub fn gradcheck<F>(f: F, inputs: &[ArrayD<f64>], eps: f64) -> GradcheckReport
where
    F: Fn(&[Tensor<f64>]) -> Tensor<f64>,
{
    unwrap_or_fail(try_gradcheck(|t| Ok::<_, TensorError>(f(t)), inputs, eps))
}

/// [`gradcheck`] for a function that can fail (one written in another language, say): `f`'s
/// first error is returned as it is, and what would make `gradcheck` panic is an error too.
///
/// ```
/// use ferrograd::{try_gradcheck, TensorError};
/// use ndarray::array;
/// let x = array![1.0, 2.0].into_dyn();
/// let report = try_gradcheck(|t| t[0].try_mul(&t[0]), &[x.clone()], 1e-6)?;
/// assert!(report.passed(1e-6));
/// let constant = try_gradcheck(|t| Ok::<_, TensorError>(t[0].detach()), &[x], 1e-6);
/// assert_eq!(constant.unwrap_err(), TensorError::NoGrad);
/// # Ok::<(), TensorError>(())
/// ```
///
/// # Errors
/// `f`'s errors; [`TensorError::NoGrad`] when `f`'s output does not require grad, and
/// [`TensorError::GradShape`] when its shape changes between calls.
pub fn try_gradcheck<F, E>(f: F, inputs: &[ArrayD<f64>], eps: f64) -> Result<GradcheckReport, E>
where
    F: Fn(&[Tensor<f64>]) -> Result<Tensor<f64>, E>,
    E: From<TensorError>,
{
    let leaves: Vec<Tensor<f64>> = inputs
        .iter()
        .map(|x| Tensor::from_array(x.clone()).requires_grad())
        .collect();
    let out = f(&leaves)?;
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let upstream = out.data().mapv(|_| rng.random_range(0.5..1.5));
    out.try_backward_with(upstream.clone())?;
    let weighted = |values: &[ArrayD<f64>]| -> Result<f64, E> {
        let tensors: Vec<_> = values.iter().cloned().map(Tensor::from_array).collect();
        let out = no_grad(|| f(&tensors))?;
        let data = out.data();
        if data.shape() != upstream.shape() {
            return Err(TensorError::GradShape {
                op: "gradcheck",
                grad: upstream.shape().to_vec(),
                shape: data.shape().to_vec(),
            }
            .into());
        }
        Ok((&*data * &upstream).sum())
    };
    let mut errors = Vec::with_capacity(leaves.len());
    for (k, leaf) in leaves.iter().enumerate() {
        let analytic = leaf
            .grad()
            .unwrap_or_else(|| ArrayD::zeros(inputs[k].raw_dim()));
        let mut values: Vec<ArrayD<f64>> = inputs
            .iter()
            .map(|x| x.as_standard_layout().into_owned())
            .collect();
        let mut worst: f64 = 0.0;
        for (i, &a) in analytic.iter().enumerate() {
            let x = values[k]
                .as_slice()
                .and_then(|s| s.get(i).copied())
                .unwrap_or(0.0);
            let mut at = |v: f64| {
                if let Some(slot) = values[k].as_slice_mut().and_then(|s| s.get_mut(i)) {
                    *slot = v;
                }
                weighted(&values)
            };
            let numeric = (at(x + eps)? - at(x - eps)?) / (2.0 * eps);
            at(x)?;
            let error = (a - numeric).abs() / 1f64.max(a.abs()).max(numeric.abs());
            worst = worst.max(error);
        }
        errors.push(worst);
    }
    Ok(GradcheckReport { errors })
}

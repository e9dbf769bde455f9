//! [`Adam`]: adaptive moment estimation.

use ndarray::{ArrayD, Zip};

use super::error::{OptimError, Range};
use super::optimizer::Optimizer;
use crate::autograd::Tensor;
use crate::error::unwrap_or_fail;
use crate::kernels::Element;

/// Adam, as PyTorch's `torch.optim.Adam` (without AMSGrad): for each parameter `p` with
/// gradient `g`, at its `t`-th step (counted from 1),
///
/// ```text
/// g = g + weight_decay · p
/// m = β1 · m + (1 - β1) · g          (m and v start at 0)
/// v = β2 · v + (1 - β2) · g²
/// p = p - lr / (1 - β1^t) · m / (√v / √(1 - β2^t) + eps)
/// ```
///
/// Defaults ([`AdamConfig::new`]): `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 0`.
///
/// ```
/// use ferrograd::optim::{Adam, AdamConfig, Optimizer};
/// use ferrograd::Tensor;
///
/// let p = Tensor::from_array(ndarray::array![1.0f64, -2.0]).requires_grad();
/// let mut adam = Adam::new(vec![p.clone()], 0.1);
/// (&p * &p).sum_all().backward();
/// adam.step(); // the first step moves each element by about lr, against its gradient's sign
/// let moved = &p.to_array() - &ndarray::array![1.0, -2.0].into_dyn();
/// assert!((moved[0] + 0.1).abs() < 1e-6 && (moved[1] - 0.1).abs() < 1e-6);
///
/// let config = AdamConfig { betas: (0.5, 0.75), ..AdamConfig::new(0.01) };
/// let adam = Adam::try_new(vec![p.clone()], config)?;
/// let err = Adam::try_new(vec![p], AdamConfig { betas: (0.9, 1.0), ..config }).err().unwrap();
/// assert_eq!(err.to_string(), "Adam: beta2 must be in [0, 1), got 1");
/// # Ok::<(), ferrograd::optim::OptimError>(())
/// ```
pub struct Adam<T: Element = f32> {
    params: Vec<Tensor<T>>,
    config: AdamConfig<T>,
    moments: Vec<Option<Moments<T>>>,
}

/// The settings of [`Adam`], named as PyTorch's `torch.optim.Adam` arguments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig<T: Element = f32> {
    /// The learning rate.
    pub lr: T,
    /// The decay rates of the running means of the gradient and of its square.
    pub betas: (T, T),
    /// The term added to the denominator for numerical stability.
    pub eps: T,
    /// The L2 penalty added to each gradient as `weight_decay · p`.
    pub weight_decay: T,
}

impl<T: Element> AdamConfig<T> {
    /// Learning rate `lr` with the default betas `(0.9, 0.999)`, eps `1e-8` and no weight decay.
    pub fn new(lr: T) -> Self {
        AdamConfig {
            lr,
            betas: (T::from_f64(0.9), T::from_f64(0.999)),
            eps: T::from_f64(1e-8),
            weight_decay: T::zero(),
        }
    }

    /// `Ok` when every setting is in its range ([`OptimError`] lists the rules).
    ///
    /// # Errors
    /// The first setting out of range.
    pub fn check(&self) -> Result<(), OptimError> {
        Range::AtLeastZero.check(NAME, "lr", self.lr)?;
        Range::Fraction.check(NAME, "beta1", self.betas.0)?;
        Range::Fraction.check(NAME, "beta2", self.betas.1)?;
        Range::AboveZero.check(NAME, "eps", self.eps)?;
        Range::AtLeastZero.check(NAME, "weight_decay", self.weight_decay)
    }
}

/// The optimizer's name in errors.
const NAME: &str = "Adam";

/// One parameter's state: its step count and the running means of its gradient and squared
/// gradient.
struct Moments<T> {
    step: i32,
    mean: ArrayD<T>,
    mean_square: ArrayD<T>,
}

impl<T: Element> Adam<T> {
    /// Adam with learning rate `lr` over `params` and the default betas, eps and weight decay.
    ///
    /// # Panics
    /// When `lr` is negative or not finite, with [`OptimError`]'s message.
    #[track_caller]
    pub fn new(params: Vec<Tensor<T>>, lr: T) -> Self {
        unwrap_or_fail(Adam::try_new(params, AdamConfig::new(lr)))
    }

    /// Adam over `params` with the settings `config`.
    ///
    /// # Errors
    /// [`OptimError`] when a setting is out of its range.
    pub fn try_new(params: Vec<Tensor<T>>, config: AdamConfig<T>) -> Result<Self, OptimError> {
        config.check()?;
        let moments = params.iter().map(|_| None).collect();
        Ok(Adam {
            params,
            config,
            moments,
        })
    }
}

impl<T: Element> Optimizer for Adam<T> {
    fn step(&mut self) {
        let AdamConfig {
            lr,
            betas: (beta1, beta2),
            eps,
            weight_decay: decay,
        } = self.config;
        let one = T::one();
        for (param, moments) in self.params.iter().zip(&mut self.moments) {
            let Some(grad) = param.grad_ref() else {
                continue;
            };
            let mut p = param.data_mut();
            let state = moments.get_or_insert_with(|| Moments {
                step: 0,
                mean: ArrayD::zeros(p.raw_dim()),
                mean_square: ArrayD::zeros(p.raw_dim()),
            });
            state.step += 1;
            let step_size = lr / (one - beta1.powi(state.step));
            let correction2_sqrt = (one - beta2.powi(state.step)).sqrt();
            Zip::from(&mut *p)
                .and(&mut state.mean)
                .and(&mut state.mean_square)
                .and(&*grad)
                .for_each(|p, m, v, &g| {
                    let g = g + decay * *p;
                    *m = beta1 * *m + (one - beta1) * g;
                    *v = beta2 * *v + (one - beta2) * g * g;
                    *p -= step_size * *m / (v.sqrt() / correction2_sqrt + eps);
                });
        }
    }

    fn zero_grad(&self) {
        self.params.iter().for_each(Tensor::zero_grad);
    }
}

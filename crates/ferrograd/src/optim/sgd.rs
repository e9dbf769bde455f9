//! [`Sgd`]: stochastic gradient descent, with momentum and weight decay.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, Axis, Zip};

use super::error::{OptimError, Range};
use super::optimizer::Optimizer;
use crate::autograd::Tensor;
use crate::error::unwrap_or_fail;
use crate::kernels::{Element, parts_for, run_each};

/// Parameters with fewer elements per thread than this are updated on the calling thread.
const MIN_PER_PART: usize = 32 * 1024;

/// Stochastic gradient descent, as PyTorch's `torch.optim.SGD` (without dampening or
/// Nesterov): for each parameter `p` with gradient `g`,
///
/// ```text
/// g = g + weight_decay · p
/// v = momentum · v + g        (v starts at 0; skipped when momentum is 0)
/// p = p - lr · v
/// ```
///
/// Updates are made in place, without allocating (the velocity buffers are allocated once, on
/// the first step, when momentum is used).
///
/// ```
/// use ferrograd::optim::{Optimizer, Sgd, SgdConfig};
/// use ferrograd::Tensor;
///
/// let p = Tensor::from_array(ndarray::array![1.0f64, -2.0]).requires_grad();
/// let mut sgd = Sgd::new(vec![p.clone()], 0.1);
/// (&p * &p).sum_all().backward(); // g = 2p = [2, -4]
/// sgd.step();
/// assert_eq!(p.to_array(), ndarray::array![0.8, -1.6].into_dyn()); // p - 0.1 g
///
/// // With momentum; settings out of range are an error (see `OptimError` for the rules).
/// let config = SgdConfig { momentum: 0.9, ..SgdConfig::new(0.05) };
/// let sgd = Sgd::try_new(vec![p.clone()], config)?;
/// assert!(Sgd::try_new(vec![p], SgdConfig { momentum: -0.9, ..config }).is_err());
/// # Ok::<(), ferrograd::optim::OptimError>(())
/// ```
pub struct Sgd<T: Element = f32> {
    params: Vec<Tensor<T>>,
    config: SgdConfig<T>,
    velocities: Vec<Option<ArrayD<T>>>,
}

/// The settings of [`Sgd`], named as PyTorch's `torch.optim.SGD` arguments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig<T: Element = f32> {
    /// The learning rate.
    pub lr: T,
    /// The momentum factor (0.9 is common; 0 for none).
    pub momentum: T,
    /// The L2 penalty added to each gradient as `weight_decay · p`.
    pub weight_decay: T,
}

impl<T: Element> SgdConfig<T> {
    /// Plain SGD, `p = p - lr · g`: no momentum, no weight decay.
    pub fn new(lr: T) -> Self {
        SgdConfig {
            lr,
            momentum: T::zero(),
            weight_decay: T::zero(),
        }
    }

    /// `Ok` when every setting is in its range ([`OptimError`] lists the rules).
    ///
    /// # Errors
    /// The first setting out of range.
    pub fn check(&self) -> Result<(), OptimError> {
        Range::AtLeastZero.check(NAME, "lr", self.lr)?;
        Range::AtLeastZero.check(NAME, "momentum", self.momentum)?;
        Range::AtLeastZero.check(NAME, "weight_decay", self.weight_decay)
    }
}

/// The optimizer's name in errors.
const NAME: &str = "SGD";

impl<T: Element> Sgd<T> {
    /// Plain SGD with learning rate `lr` over `params`: `p = p - lr · g`.
    ///
    /// # Panics
    /// When `lr` is negative or not finite, with [`OptimError`]'s message.
    #[track_caller]
    pub fn new(params: Vec<Tensor<T>>, lr: T) -> Self {
        unwrap_or_fail(Sgd::try_new(params, SgdConfig::new(lr)))
    }

    /// SGD over `params` with the settings `config`.
    ///
    /// # Errors
    /// [`OptimError`] when a setting is out of its range.
    pub fn try_new(params: Vec<Tensor<T>>, config: SgdConfig<T>) -> Result<Self, OptimError> {
        config.check()?;
        let velocities = vec![None; params.len()];
        Ok(Sgd {
            params,
            config,
            velocities,
        })
    }
}

impl<T: Element> Optimizer for Sgd<T> {
    fn step(&mut self) {
        let SgdConfig {
            lr,
            momentum,
            weight_decay: decay,
        } = self.config;
        let update =
            |mut p: ArrayViewMutD<T>, v: Option<ArrayViewMutD<T>>, g: ArrayViewD<T>| match v {
                None => Zip::from(&mut p)
                    .and(&g)
                    .for_each(|p, &g| *p -= lr * (g + decay * *p)),
                Some(mut v) => Zip::from(&mut p).and(&mut v).and(&g).for_each(|p, v, &g| {
                    *v = momentum * *v + g + decay * *p;
                    *p -= lr * *v;
                }),
            };
        for (param, velocity) in self.params.iter().zip(&mut self.velocities) {
            let Some(grad) = param.grad_ref() else {
                continue;
            };
            let mut p = param.data_mut();
            let v = (momentum != T::zero())
                .then(|| velocity.get_or_insert_with(|| ArrayD::zeros(p.raw_dim())));
            let rows = p.shape().first().copied().unwrap_or(1);
            let parts = parts_for(p.len(), MIN_PER_PART).min(rows);
            if parts == 1 {
                update(p.view_mut(), v.map(|v| v.view_mut()), grad.view());
                continue;
            }
            // Row blocks of a large parameter are updated on all threads at once.
            let block = rows.div_ceil(parts);
            let mut velocities = v.map(|v| v.axis_chunks_iter_mut(Axis(0), block));
            let blocks = p
                .axis_chunks_iter_mut(Axis(0), block)
                .zip(grad.axis_chunks_iter(Axis(0), block))
                .map(|(p, g)| (p, velocities.as_mut().and_then(Iterator::next), g))
                .collect();
            run_each(blocks, grad.len(), |(p, v, g)| update(p, v, g));
        }
    }

    fn zero_grad(&self) {
        self.params.iter().for_each(Tensor::zero_grad);
    }
}

//! [`Adam`]: adaptive moment estimation.

use ndarray::{ArrayD, Zip};

use super::Optimizer;
use crate::{Element, Tensor};

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
/// Defaults: `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 0`.
///
/// ```
/// use ferrograd::optim::{Adam, Optimizer};
/// use ferrograd::Tensor;
///
/// let p = Tensor::from_array(ndarray::array![1.0f64, -2.0]).requires_grad();
/// let mut adam = Adam::new(vec![p.clone()], 0.1);
/// (&p * &p).sum_all().backward();
/// adam.step(); // the first step moves each element by about lr, against its gradient's sign
/// let moved = &p.to_array() - &ndarray::array![1.0, -2.0].into_dyn();
/// assert!((moved[0] + 0.1).abs() < 1e-6 && (moved[1] - 0.1).abs() < 1e-6);
/// ```
pub struct Adam<T: Element = f32> {
    params: Vec<Tensor<T>>,
    lr: T,
    betas: (T, T),
    eps: T,
    weight_decay: T,
    moments: Vec<Option<Moments<T>>>,
}

/// One parameter's state: its step count and the running means of its gradient and squared
/// gradient.
struct Moments<T> {
    step: i32,
    mean: ArrayD<T>,
    mean_square: ArrayD<T>,
}

impl<T: Element> Adam<T> {
    /// Adam with learning rate `lr` over `params` and the default betas, eps and weight decay.
    pub fn new(params: Vec<Tensor<T>>, lr: T) -> Self {
        let moments = params.iter().map(|_| None).collect();
        Adam {
            params,
            lr,
            betas: (T::from_f64(0.9), T::from_f64(0.999)),
            eps: T::from_f64(1e-8),
            weight_decay: T::zero(),
            moments,
        }
    }

    /// Sets the decay rates of the running means of the gradient (`beta1`) and of its square
    /// (`beta2`).
    pub fn betas(mut self, beta1: T, beta2: T) -> Self {
        self.betas = (beta1, beta2);
        self
    }

    /// Sets the term added to the denominator for numerical stability.
    pub fn eps(mut self, eps: T) -> Self {
        self.eps = eps;
        self
    }

    /// Sets the L2 penalty added to each gradient as `weight_decay · p`.
    pub fn weight_decay(mut self, weight_decay: T) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl<T: Element> Optimizer for Adam<T> {
    fn step(&mut self) {
        let ((beta1, beta2), eps, decay) = (self.betas, self.eps, self.weight_decay);
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
            let step_size = self.lr / (one - beta1.powi(state.step));
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

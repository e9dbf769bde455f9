//! [`Sgd`]: stochastic gradient descent, with momentum and weight decay.

use ndarray::{ArrayD, Zip};

use super::Optimizer;
use crate::{Element, Tensor};

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
/// use ferrograd::optim::{Optimizer, Sgd};
/// use ferrograd::Tensor;
///
/// let p = Tensor::from_array(ndarray::array![1.0f64, -2.0]).requires_grad();
/// let mut sgd = Sgd::new(vec![p.clone()], 0.1);
/// (&p * &p).sum_all().backward(); // g = 2p = [2, -4]
/// sgd.step();
/// assert_eq!(p.to_array(), ndarray::array![0.8, -1.6].into_dyn()); // p - 0.1 g
/// ```
pub struct Sgd<T: Element = f32> {
    params: Vec<Tensor<T>>,
    lr: T,
    momentum: T,
    weight_decay: T,
    velocities: Vec<Option<ArrayD<T>>>,
}

impl<T: Element> Sgd<T> {
    /// Plain SGD with learning rate `lr` over `params`: `p = p - lr · g`.
    pub fn new(params: Vec<Tensor<T>>, lr: T) -> Self {
        let velocities = vec![None; params.len()];
        Sgd {
            params,
            lr,
            momentum: T::zero(),
            weight_decay: T::zero(),
            velocities,
        }
    }

    /// Sets the momentum factor (PyTorch's `momentum`; 0.9 is common).
    pub fn momentum(mut self, momentum: T) -> Self {
        self.momentum = momentum;
        self
    }

    /// Sets the L2 penalty added to each gradient as `weight_decay · p`.
    pub fn weight_decay(mut self, weight_decay: T) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl<T: Element> Optimizer for Sgd<T> {
    fn step(&mut self) {
        let (lr, momentum, decay) = (self.lr, self.momentum, self.weight_decay);
        for (param, velocity) in self.params.iter().zip(&mut self.velocities) {
            let Some(grad) = param.grad_ref() else {
                continue;
            };
            let mut p = param.data_mut();
            if momentum == T::zero() {
                Zip::from(&mut *p)
                    .and(&*grad)
                    .for_each(|p, &g| *p -= lr * (g + decay * *p));
            } else {
                let v = velocity.get_or_insert_with(|| ArrayD::zeros(p.raw_dim()));
                Zip::from(&mut *p).and(v).and(&*grad).for_each(|p, v, &g| {
                    *v = momentum * *v + g + decay * *p;
                    *p -= lr * *v;
                });
            }
        }
    }

    fn zero_grad(&self) {
        self.params.iter().for_each(Tensor::zero_grad);
    }
}

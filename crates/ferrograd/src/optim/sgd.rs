//! [`Sgd`]: stochastic gradient descent, with momentum and weight decay.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, Axis, Zip};

use super::Optimizer;
use crate::kernels::{parts_for, run_each};
use crate::{Element, Tensor};

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

//! [`DataParallel`]: the gradients of a batch that several processes share out, summed.

use ferrograd::Tensor;
use ferrograd::nn::Module;
use ferrograd::optim::Optimizer;
use ferrograd::train::{Learner, gradients_len, read_gradients, write_gradients};

use crate::peers::Peers;

/// The first half of a data-parallel step. Each process computes the mean loss and gradients of
/// its share of the batch; each share's, weighted by its part of the batch, summed over the
/// processes, is the whole batch's mean, which every process then holds, bit for bit the same.
/// Alone, the step is the library's, untouched.
pub struct DataParallel {
    /// The weighted gradients, then the weighted loss: what is summed.
    summed: Vec<f32>,
    batch_size: usize,
}

impl DataParallel {
    /// For batches of `batch_size` images shared out between `peers`, training `parameters`.
    pub fn new(peers: &dyn Peers, parameters: &[Tensor<f32>], batch_size: usize) -> Self {
        let len = match peers.size() {
            1 => 0,
            _ => gradients_len(parameters) + 1,
        };
        DataParallel {
            summed: vec![0.0; len],
            batch_size,
        }
    }

    /// Computes the gradients of this process's share `x`, `labels` of the batch, sums them with
    /// the other processes', leaves the sum on the parameters, and returns the whole batch's
    /// loss. Every process must call it for every batch.
    pub fn compute_gradients<M: Module<f32>, O: Optimizer>(
        &mut self,
        learner: &mut Learner<M, O>,
        peers: &dyn Peers,
        x: &Tensor<f32>,
        labels: &[usize],
    ) -> f32 {
        let loss = learner.compute_gradients(x, labels);
        if self.summed.is_empty() {
            return loss;
        }
        let gradients = self.summed.len() - 1;
        let weight = labels.len() as f32 / self.batch_size as f32;
        read_gradients(learner.parameters(), &mut self.summed[..gradients], weight);
        self.summed[gradients] = loss * weight;
        peers.sum(&mut self.summed);
        write_gradients(learner.parameters(), &self.summed[..gradients]);
        self.summed[gradients]
    }
}

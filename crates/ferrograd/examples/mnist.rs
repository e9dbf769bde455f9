//! The original assignment end to end with the library alone: an MLP 784-256-256-10 with tanh,
//! softmax cross-entropy and plain SGD (lr 0.1, batch 32) on MNIST.
//!
//! ```sh
//! cargo run --release --example mnist -- ../shared/data/mnist 1
//! ```
//! The arguments are the folder with the four IDX files (default `$MNIST_DIR`) and the number
//! of epochs (default 5).

use std::time::Instant;

use ferrograd::Tensor;
use ferrograd::data::{Batch, Mnist};
use ferrograd::eval::evaluate;
use ferrograd::nn::{Activation, Mlp, Module, cross_entropy};
use ferrograd::optim::{Optimizer, Sgd};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .or_else(|| std::env::var("MNIST_DIR").ok())
        .ok_or("usage: mnist DIR [EPOCHS] (or set MNIST_DIR)")?;
    let epochs: u64 = args.next().map_or(Ok(5), |e| e.parse())?;
    let mnist = Mnist::load(&dir)?;

    let model = Mlp::<f32>::new(&[784, 256, 256, 10], Activation::Tanh, 0);
    let mut sgd = Sgd::new(model.parameters(), 0.1);
    let mut batch = Batch::<f32>::default();
    for epoch in 1..=epochs {
        let started = Instant::now();
        let mut batches = mnist.train.batches(32, Some(epoch)).drop_last(true);
        let (mut loss_sum, mut steps) = (0.0, 0);
        while batches.next_into(&mut batch) {
            let x = Tensor::from_array(batch.images.clone());
            let loss = cross_entropy(&model.forward(&x), &batch.labels);
            sgd.zero_grad();
            loss.backward();
            sgd.step();
            loss_sum += loss.item();
            steps += 1;
        }
        let seconds = started.elapsed().as_secs_f64();
        let test = evaluate(&model, &mnist.test, 1000);
        println!(
            "epoch {epoch}: train loss {:.4}, test loss {:.4}, test accuracy {:.2}%, {seconds:.2} s ({:.0} µs/step)",
            loss_sum / steps as f32,
            test.loss,
            test.accuracy * 100.0,
            seconds * 1e6 / steps as f64
        );
    }
    Ok(())
}

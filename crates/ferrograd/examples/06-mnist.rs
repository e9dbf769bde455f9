//! Rung 6 of the examples: the original assignment's recipe with the library alone. An MLP
//! 784-256-256-10 with tanh, softmax cross-entropy and plain SGD (lr 0.1, batch 32) on MNIST
//! (the settings of [`ferrograd::train::recipe`]), trained by a [`Learner`] and seeded as
//! `ferrograd train --seed 0` is, so its first epoch ends at the same test accuracy (92.65%).
//! It trains one epoch unless told more, and fails if an epoch ends below 92%.
//!
//! ```sh
//! cargo run --release --example 06-mnist                  # one epoch on $MNIST_DIR
//! cargo run --release --example 06-mnist -- DIR 5         # the data folder, and five epochs
//! cargo run --release --example 06-mnist --features download
//! ```
//! The data folder is found as `ferrograd train` finds it: `DIR`, else `$MNIST_DIR`, and, built
//! with the cargo feature `download` (the last line), else the user's cache folder, where the
//! four files are downloaded and checked. Without that feature and with no folder named, it
//! says how to get the files and exits with status 2.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use ferrograd::Tensor;
use ferrograd::data::{Mnist, epoch_seed};
use ferrograd::eval::evaluate;
use ferrograd::nn::{Mlp, Module};
use ferrograd::optim::Sgd;
use ferrograd::train::{Learner, recipe};

fn main() -> ExitCode {
    match train() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("06-mnist: {error}");
            ExitCode::from(2)
        }
    }
}

fn train() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let dir = data_dir(args.next().as_deref().map(Path::new))?;
    let epochs: usize = args.next().map_or(Ok(1), |e| e.parse())?;
    let mnist = Mnist::load(&dir)?;
    println!(
        "MNIST from {}: {} training and {} test images",
        dir.display(),
        mnist.train.len(),
        mnist.test.len()
    );

    let model = Mlp::<f32>::new(&recipe::SIZES, recipe::ACTIVATION, recipe::SEED);
    let sgd = Sgd::new(model.parameters(), recipe::LEARNING_RATE as f32);
    let mut learner = Learner::new(model, sgd);
    // One input tensor whose buffer each batch refills, and the batch's labels.
    let x = Tensor::<f32>::zeros(&[0, 0]);
    let mut labels = Vec::new();
    for epoch in 1..=epochs {
        let started = Instant::now();
        let mut batches = mnist
            .train
            .batches::<f32>(recipe::BATCH_SIZE, Some(epoch_seed(recipe::SEED, epoch)))
            .drop_last(true);
        let (mut loss_sum, mut steps) = (0.0, 0);
        while batches.next_into_tensor(&x, &mut labels) {
            loss_sum += f64::from(learner.step(&x, &labels));
            steps += 1;
        }
        let seconds = started.elapsed().as_secs_f64();
        let test = evaluate(learner.model(), &mnist.test, 1000);
        println!(
            "epoch {epoch}: train loss {:.4}, test loss {:.4}, test accuracy {:.2}%, {seconds:.2} s ({:.0} µs/step)",
            loss_sum / steps as f64,
            test.loss,
            test.accuracy * 100.0,
            seconds * 1e6 / steps as f64
        );
        assert!(
            test.accuracy >= 0.92,
            "epoch {epoch} ended below the recipe's 92%"
        );
    }
    Ok(())
}

/// The data folder by `ferrograd train`'s rule: `dir`, else `$MNIST_DIR`, else the cache folder,
/// where the files missing are downloaded.
#[cfg(feature = "download")]
fn data_dir(dir: Option<&Path>) -> Result<PathBuf, Box<dyn Error>> {
    use std::io::IsTerminal;
    Ok(Mnist::find_or_download(
        dir,
        std::io::stderr().is_terminal(),
    )?)
}

/// The data folder the caller named: `dir`, else `$MNIST_DIR`; without one, how to get the files.
#[cfg(not(feature = "download"))]
fn data_dir(dir: Option<&Path>) -> Result<PathBuf, Box<dyn Error>> {
    Mnist::named_dir(dir).ok_or_else(|| {
        format!(
            "no MNIST folder named. Put the four files ({}, each as NAME.gz or NAME) in a folder \
             and pass it (`cargo run --release --example 06-mnist -- DIR`) or set MNIST_DIR to it; \
             or let the example download them into your cache folder as `ferrograd train` does: \
             `cargo run --release --example 06-mnist --features download`",
            ferrograd::data::FILE_NAMES.join(", ")
        )
        .into()
    })
}

//! `ferrograd train`: the original recipe's training loop, with its outputs, and `--resume`.
//!
//! After every epoch the run's folder gets, each replaced in one step (written under a temporary
//! name, flushed and renamed), so that a process killed at any moment leaves complete files:
//!
//! 1. `model.next.safetensors`, the new weights;
//! 2. `state.txt`, the settings, every finished epoch's numbers and the SHA-256 of the new
//!    weights: this rename is the moment the epoch counts as done;
//! 3. `model.safetensors`, renamed from `model.next.safetensors`;
//! 4. `loss.png` and `metrics.csv`, drawn from the state (`--resume` rewrites a `metrics.csv`
//!    left one epoch behind; `loss.png` catches up at the next epoch).
//!
//! `--resume DIR` reads `state.txt`, takes the weights whose hash it records (finishing step 3
//! if the kill came between 2 and 3) and trains the remaining epochs. The initial weights depend
//! only on `--seed` and each epoch's batch order only on `--seed` and the epoch, so a resumed SGD
//! run ends with the same weights, bit for bit, as one that was never stopped.
//!
//! With several processes (`mpirun`, see `crate::peers`), each computes the gradients of its share
//! of every batch and `data_parallel.rs` sums them; rank 0 alone writes the files.
//!
//! This file holds the loop; `settings.rs` holds the run's settings (flags and `state.txt`
//! alike), `state.rs` the `state.txt` format, `start.rs` how a run begins (new or resumed) and
//! `outputs.rs` the files written into the run's folder.

mod data_parallel;
mod outputs;
pub(crate) mod settings;
mod start;
mod state;

use std::hash::Hasher;
use std::io::IsTerminal;
use std::time::Instant;

use ferrograd::Tensor;
use ferrograd::data::{Dataset, epoch_seed};
use ferrograd::eval::evaluate;
use ferrograd::nn::{Mlp, Module};
use ferrograd::optim::Optimizer;
use ferrograd::train::Learner;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::TrainArgs;
use crate::commands::say;
use crate::error::CliError;
use crate::peers::{Peers, agree, same_checksums};
pub use data_parallel::DataParallel;
use outputs::save_epoch;
pub use settings::{OptimizerKind, Settings};
use start::begin;
use state::EpochRecord;

/// The model and optimizer `train` trains.
type MlpLearner = Learner<Mlp<f32>, Box<dyn Optimizer>>;

/// Images per batch when evaluating: as large as is fast; it does not change the numbers.
const EVAL_BATCH: usize = 1000;

/// Trains as `args` says, printing one line per epoch, and writes the run's files; with
/// `peers`, data-parallel: each process computes the gradients of its share of every batch,
/// their sum is every process's update, and rank 0 alone prints and writes.
///
/// # Errors
/// [`CliError::Diverged`] when the loss stops being finite or explodes; any other variant for
/// input that cannot be used (data, settings, run folder), each naming the file or flag. With
/// several processes, every process returns the error of the first that failed.
pub fn run(args: &TrainArgs, peers: &dyn Peers) -> Result<(), CliError> {
    let Some((mut run, mnist, model)) = begin(args, peers)? else {
        return Ok(());
    };
    let settings = run.settings.clone();
    let optimizer = settings.optimizer(model.parameters())?;
    let mut learner = Learner::new(model, optimizer);
    let writer = peers.rank() == 0;
    let out = run.out.clone();

    for epoch in run.history.len() + 1..=settings.epochs {
        let started = Instant::now();
        let diverged = |batch: usize, what: String| CliError::Diverged {
            what,
            epoch,
            batch,
            out: out.clone(),
            last_epoch: (epoch > 1).then(|| epoch - 1),
        };
        let (train_loss, steps) = train_epoch(&mut learner, peers, &mnist.train, &settings, epoch)
            .map_err(|(batch, what)| diverged(batch, what))?;
        let seconds = started.elapsed().as_secs_f64();
        // Rank 0 measures and writes; the others wait for its outcome.
        let finished = writer.then(|| {
            let model = learner.model();
            let test = evaluate(model, &mnist.test, EVAL_BATCH);
            // The last step can overflow the weights without its own loss showing it.
            if !weights_are_finite(model) {
                let what = "the weights stopped being finite numbers after the update".to_string();
                return Err(diverged(steps, what));
            }
            if !test.loss.is_finite() {
                let what = format!("the test loss became {} after the update", test.loss);
                return Err(diverged(steps, what));
            }
            let record = EpochRecord {
                train_loss,
                test,
                seconds,
            };
            save_epoch(&mut run, model, record)?;
            Ok(test)
        });
        let finished = agree(peers, finished.transpose())?;
        if peers.size() > 1 {
            same_checksums(&peers.gather(&weights_checksum(learner.model())), epoch)?;
        }
        // Printed once the epoch's files are written.
        if let Some(test) = finished {
            say!(
                "Epoch {epoch}/{} | Train Loss: {train_loss:.4} | Val Loss: {:.4} | Test Acc: {:.2}%",
                settings.epochs,
                test.loss,
                test.accuracy * 100.0
            );
        }
    }
    if let Some(last) = run.history.last().filter(|_| writer) {
        say!("Final Test Accuracy: {:.2}%", last.test.accuracy * 100.0);
        say!("Wrote {}", run.out.display());
    }
    Ok(())
}

/// How many times the loss of guessing uniformly (ln 10 for ten classes) a batch's loss may be
/// before the run counts as diverged. Training starts near 1 time; a step that takes it past
/// 1000 (logits thousands apart, as `--lr 1e6` gives even where tanh keeps everything finite)
/// does not come back.
const DIVERGED_LOSS_FACTOR: f64 = 1000.0;

/// One pass over the shuffled training set, each process on its share of every batch; returns
/// the mean batch loss and the number of steps, or the batch (from 1) at which the loss stopped
/// being finite or exploded, and what it became.
fn train_epoch(
    learner: &mut MlpLearner,
    peers: &dyn Peers,
    train: &Dataset,
    settings: &Settings,
    epoch: usize,
) -> Result<(f64, usize), (usize, String)> {
    let sizes = learner.model().sizes();
    let classes = sizes[sizes.len() - 1];
    let guessing = (classes as f64).ln();
    let limit = DIVERGED_LOSS_FACTOR * guessing;
    let mut batches = train
        .batches::<f32>(settings.batch_size, Some(epoch_seed(settings.seed, epoch)))
        .drop_last(true)
        .share(peers.rank(), peers.size());
    let progress = match peers.rank() {
        0 => progress_bar(batches.len(), epoch, settings.epochs),
        _ => ProgressBar::hidden(),
    };
    let x = Tensor::<f32>::zeros(&[0, 0]);
    let mut labels = Vec::new();
    let mut together = DataParallel::new(peers, learner.parameters(), settings.batch_size);
    let (mut loss_sum, mut steps) = (0.0, 0);
    let started = Instant::now();
    while batches.next_into_tensor(&x, &mut labels) {
        let value = f64::from(together.compute_gradients(learner, peers, &x, &labels));
        if !value.is_finite() || value > limit {
            progress.abandon();
            let what = if value.is_finite() {
                format!(
                    "the loss became {value:.4e}, over {DIVERGED_LOSS_FACTOR} times the \
                     {guessing:.2} of guessing"
                )
            } else {
                format!("the loss became {value}")
            };
            return Err((steps + 1, what));
        }
        learner.apply_update();
        loss_sum += value;
        steps += 1;
        if steps % 25 == 0 {
            let rate = (steps * settings.batch_size) as f64 / started.elapsed().as_secs_f64();
            progress.set_message(format!(
                "loss {:.4} | {rate:.0} samples/s",
                loss_sum / steps as f64
            ));
            progress.set_position(steps as u64);
        }
    }
    progress.finish_and_clear();
    Ok((loss_sum / steps.max(1) as f64, steps))
}

/// A checksum of the weights: std's hash of every parameter's values (the same binary on every
/// process, so the same function).
fn weights_checksum(model: &Mlp<f32>) -> Vec<u8> {
    let mut hash = std::hash::DefaultHasher::new();
    for parameter in model.parameters() {
        let bytes: Vec<u8> = parameter
            .data()
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        hash.write(&bytes);
    }
    hash.finish().to_le_bytes().to_vec()
}

/// Whether every weight and bias is a finite number.
fn weights_are_finite(model: &Mlp<f32>) -> bool {
    model
        .parameters()
        .iter()
        .all(|p| p.data().iter().all(|x| x.is_finite()))
}

/// A progress bar on a terminal; nothing when the output goes to a file or pipe.
fn progress_bar(batches: usize, epoch: usize, epochs: usize) -> ProgressBar {
    if !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(batches as u64).with_prefix(format!("Epoch {epoch}/{epochs}"));
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} batches | {msg} | ETA {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

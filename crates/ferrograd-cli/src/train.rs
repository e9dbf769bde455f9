//! `ferrograd train`: the original recipe's training loop, with its outputs.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ferrograd::Tensor;
use ferrograd::data::{Batch, Dataset};
use ferrograd::eval::{Evaluation, evaluate};
use ferrograd::nn::{Mlp, Module, cross_entropy};
use ferrograd::optim::{Adam, Optimizer, Sgd};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{OptimizerKind, TrainArgs};
use crate::error::CliError;
use crate::{atomic, data_source, plot};

/// Images per batch when evaluating: as large as is fast; it does not change the numbers.
const EVAL_BATCH: usize = 1000;

/// One finished epoch, as written to `metrics.csv`.
struct EpochRecord {
    train_loss: f64,
    test: Evaluation,
    seconds: f64,
}

/// Trains as `args` says, printing one line per epoch, and writes the run's files.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    let out = args.out.clone().unwrap_or_else(default_out_dir);
    prepare_out_dir(&out)?;
    let mnist = data_source::load(&args.data)?;
    if args.batch_size > mnist.train.len() {
        return Err(CliError::Usage(format!(
            "--batch-size {} is larger than the training set ({} images)",
            args.batch_size,
            mnist.train.len()
        )));
    }
    let mut sizes = vec![mnist.train.features()];
    sizes.extend(std::iter::repeat_n(args.hidden, args.layers));
    sizes.push(mnist.train.num_classes().max(mnist.test.num_classes()));
    let model = Mlp::<f32>::new(&sizes, args.activation, args.seed);
    let lr = args.lr as f32;
    let mut optimizer: Box<dyn Optimizer> = match args.optimizer {
        OptimizerKind::Sgd => Box::new(Sgd::new(model.parameters(), lr)),
        OptimizerKind::Adam => Box::new(Adam::new(model.parameters(), lr)),
    };

    let mut history: Vec<EpochRecord> = Vec::new();
    for epoch in 1..=args.epochs {
        let started = Instant::now();
        let train_loss = train_epoch(&model, optimizer.as_mut(), &mnist.train, args, epoch, &out)?;
        let seconds = started.elapsed().as_secs_f64();
        let test = evaluate(&model, &mnist.test, EVAL_BATCH);
        println!(
            "Epoch {epoch}/{} | Train Loss: {train_loss:.4} | Val Loss: {:.4} | Test Acc: {:.2}%",
            args.epochs,
            test.loss,
            test.accuracy * 100.0
        );
        history.push(EpochRecord {
            train_loss,
            test,
            seconds,
        });
        ferrograd::nn::save(&model, out.join("model.safetensors"))?;
        write_metrics(&out.join("metrics.csv"), &history)?;
        let train: Vec<f64> = history.iter().map(|r| r.train_loss).collect();
        let val: Vec<f64> = history.iter().map(|r| r.test.loss).collect();
        plot::loss_curve(&out.join("loss.png"), &train, &val)?;
    }
    let last = history.last().expect("at least one epoch");
    println!("Final Test Accuracy: {:.2}%", last.test.accuracy * 100.0);
    println!("Wrote {}", out.display());
    Ok(())
}

/// One pass over the shuffled training set; returns the mean batch loss.
fn train_epoch(
    model: &Mlp<f32>,
    optimizer: &mut dyn Optimizer,
    train: &Dataset,
    args: &TrainArgs,
    epoch: usize,
    out: &Path,
) -> Result<f64, CliError> {
    let mut batches = train
        .batches::<f32>(args.batch_size, Some(epoch_seed(args.seed, epoch)))
        .drop_last(true);
    let progress = progress_bar(batches.len(), epoch, args.epochs);
    let mut batch = Batch::<f32>::default();
    let (mut loss_sum, mut steps) = (0.0, 0);
    let started = Instant::now();
    while batches.next_into(&mut batch) {
        let x = Tensor::from_array(batch.images.clone());
        let loss = cross_entropy(&model.forward(&x), &batch.labels);
        let value = f64::from(loss.item());
        if !value.is_finite() {
            progress.abandon();
            return Err(CliError::Diverged {
                epoch,
                batch: steps + 1,
                loss: value,
                out: out.to_path_buf(),
            });
        }
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        loss_sum += value;
        steps += 1;
        if steps % 25 == 0 {
            let rate = (steps * args.batch_size) as f64 / started.elapsed().as_secs_f64();
            progress.set_message(format!(
                "loss {:.4} | {rate:.0} samples/s",
                loss_sum / steps as f64
            ));
            progress.set_position(steps as u64);
        }
    }
    progress.finish_and_clear();
    Ok(loss_sum / steps.max(1) as f64)
}

/// A per-epoch shuffle seed: the same `--seed` gives the same orders, each epoch a new one.
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ epoch as u64
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

/// Creates the output folder, or says clearly why it cannot be used.
fn prepare_out_dir(out: &Path) -> Result<(), CliError> {
    if out.exists() && !out.is_dir() {
        return Err(CliError::Usage(format!(
            "--out {} is a file, not a folder",
            out.display()
        )));
    }
    std::fs::create_dir_all(out).map_err(|source| CliError::Write {
        path: out.to_path_buf(),
        source,
    })
}

/// Rewrites `metrics.csv` with every epoch so far.
fn write_metrics(path: &Path, history: &[EpochRecord]) -> Result<(), CliError> {
    let mut csv = String::from("epoch,train_loss,val_loss,test_acc,seconds\n");
    for (i, r) in history.iter().enumerate() {
        let _ = writeln!(
            csv,
            "{},{:.6},{:.6},{:.4},{:.3}",
            i + 1,
            r.train_loss,
            r.test.loss,
            r.test.accuracy * 100.0,
            r.seconds
        );
    }
    atomic::write(path, csv.as_bytes())
}

/// `runs/YYYYMMDD-HHMMSS` in UTC.
fn default_out_dir() -> PathBuf {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    PathBuf::from("runs").join(format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    ))
}

/// The Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn dates_from_day_counts() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_786), (2026, 11, 29));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}

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

use std::fmt::Write as _;
use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::ValueEnum;
use ferrograd::Tensor;
use ferrograd::data::{Batch, Dataset, Mnist};
use ferrograd::eval::{Evaluation, evaluate};
use ferrograd::nn::{Activation, Mlp, Module, cross_entropy};
use ferrograd::optim::{Adam, Optimizer, Sgd};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::cli::{DataArgs, OptimizerKind, TrainArgs};
use crate::commands::say;
use crate::error::CliError;
use crate::{atomic, data_source, plot};

/// Images per batch when evaluating: as large as is fast; it does not change the numbers.
const EVAL_BATCH: usize = 1000;

/// The weights of the last finished epoch.
pub const MODEL_FILE: &str = "model.safetensors";
/// The weights of the epoch being saved, until `state.txt` records them.
pub const NEXT_MODEL_FILE: &str = "model.next.safetensors";
/// One line per finished epoch.
pub const METRICS_FILE: &str = "metrics.csv";
/// The loss curves.
pub const LOSS_PLOT_FILE: &str = "loss.png";
/// What `--resume` needs: settings, finished epochs, hash of the weights.
pub const STATE_FILE: &str = "state.txt";

/// The version of the `state.txt` format.
const STATE_FORMAT: u32 = 1;

/// One finished epoch, as written to `metrics.csv`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct EpochRecord {
    train_loss: f64,
    test: Evaluation,
    seconds: f64,
}

/// The flags that decide what a run computes, kept in `state.txt` for `--resume`.
#[derive(Clone, Debug, PartialEq)]
struct Settings {
    epochs: usize,
    batch_size: usize,
    lr: f64,
    hidden: usize,
    layers: usize,
    activation: Activation,
    optimizer: OptimizerKind,
    seed: u64,
}

impl Settings {
    fn from_args(args: &TrainArgs) -> Self {
        Settings {
            epochs: args.epochs,
            batch_size: args.batch_size,
            lr: args.lr,
            hidden: args.hidden,
            layers: args.layers,
            activation: args.activation,
            optimizer: args.optimizer,
            seed: args.seed,
        }
    }

    /// The layer sizes for data with `features` pixels per image and `classes` classes.
    fn sizes(&self, features: usize, classes: usize) -> Vec<usize> {
        let mut sizes = vec![features];
        sizes.extend(std::iter::repeat_n(self.hidden, self.layers));
        sizes.push(classes);
        sizes
    }
}

/// A run: where it writes, what it computes and what it has finished. This is `state.txt`.
#[derive(Clone, Debug, PartialEq)]
struct Run {
    out: PathBuf,
    settings: Settings,
    /// The model's layer sizes, input first.
    sizes: Vec<usize>,
    /// The data folder, when one was named (`--data` or `$MNIST_DIR`).
    data: Option<PathBuf>,
    train_images: usize,
    test_images: usize,
    /// The finished epochs, first to last.
    history: Vec<EpochRecord>,
    /// SHA-256 of the weights of the last finished epoch (none before the first).
    model_sha256: Option<String>,
}

/// Trains as `args` says, printing one line per epoch, and writes the run's files.
///
/// # Errors
/// [`CliError::Diverged`] when the loss stops being finite or explodes; any other variant for
/// input that cannot be used (data, settings, run folder), each naming the file or flag.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    let (mut run, mnist, model) = match &args.resume {
        None => start(args)?,
        Some(dir) => match resume(dir, args)? {
            Some(resumed) => resumed,
            None => return Ok(()),
        },
    };
    let settings = run.settings.clone();
    let lr = settings.lr as f32;
    let mut optimizer: Box<dyn Optimizer> = match settings.optimizer {
        OptimizerKind::Sgd => Box::new(Sgd::new(model.parameters(), lr)),
        OptimizerKind::Adam => Box::new(Adam::new(model.parameters(), lr)),
    };

    for epoch in run.history.len() + 1..=settings.epochs {
        let started = Instant::now();
        let diverged = |batch: usize, what: String| CliError::Diverged {
            what,
            epoch,
            batch,
            out: run.out.clone(),
            last_epoch: (epoch > 1).then(|| epoch - 1),
        };
        let (train_loss, steps) =
            train_epoch(&model, optimizer.as_mut(), &mnist.train, &settings, epoch)
                .map_err(|(batch, what)| diverged(batch, what))?;
        let seconds = started.elapsed().as_secs_f64();
        let test = evaluate(&model, &mnist.test, EVAL_BATCH);
        // The last step can overflow the weights without its own loss showing it.
        if !weights_are_finite(&model) {
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
        save_epoch(&mut run, &model, record)?;
        // Printed once the epoch's files are written.
        say!(
            "Epoch {epoch}/{} | Train Loss: {train_loss:.4} | Val Loss: {:.4} | Test Acc: {:.2}%",
            settings.epochs,
            test.loss,
            test.accuracy * 100.0
        );
    }
    let last = run.history.last().expect("at least one epoch");
    say!("Final Test Accuracy: {:.2}%", last.test.accuracy * 100.0);
    say!("Wrote {}", run.out.display());
    Ok(())
}

/// A new run: checks the arguments against the data, prepares the folder and initialises the
/// model from `--seed`.
fn start(args: &TrainArgs) -> Result<(Run, Mnist, Mlp<f32>), CliError> {
    let out = args.out.clone().unwrap_or_else(default_out_dir);
    if out.exists() && !out.is_dir() {
        return Err(CliError::Usage(format!(
            "--out {} is a file, not a folder",
            out.display()
        )));
    }
    let settings = Settings::from_args(args);
    let data = data_folder(&args.data);
    let mnist = data_source::load(&args.data)?;
    check_batch_size(settings.batch_size, &mnist)?;
    let sizes = settings.sizes(
        mnist.train.features(),
        mnist.train.num_classes().max(mnist.test.num_classes()),
    );
    let model = Mlp::<f32>::new(&sizes, settings.activation, settings.seed);
    let run = Run {
        out,
        settings,
        sizes,
        data,
        train_images: mnist.train.len(),
        test_images: mnist.test.len(),
        history: Vec::new(),
        model_sha256: None,
    };
    prepare_out_dir(&run)?;
    Ok((run, mnist, model))
}

/// A stopped run, read back from `dir`, with its weights; `None` when it had already finished.
fn resume(dir: &Path, args: &TrainArgs) -> Result<Option<(Run, Mnist, Mlp<f32>)>, CliError> {
    let state_path = dir.join(STATE_FILE);
    let cannot = |reason: String| CliError::Resume {
        path: dir.to_path_buf(),
        reason,
    };
    if !dir.is_dir() {
        return Err(cannot("no such folder".into()));
    }
    if !state_path.is_file() {
        return Err(cannot(format!(
            "it has no {STATE_FILE}, so it is not a folder written by `ferrograd train`"
        )));
    }
    let text = fs::read_to_string(&state_path).map_err(|e| CliError::Resume {
        path: state_path.clone(),
        reason: e.to_string(),
    })?;
    let mut run = Run::parse(dir, &state_path, &text)?;
    if args.data.data.is_some() {
        run.data = data_folder(&args.data); // recorded at the next epoch
    }
    let settings = &run.settings;
    // Finish what the stopped process was writing: the rename of the weights, metrics.csv.
    let weights = match &run.model_sha256 {
        Some(expected) => Some(recorded_weights(dir, expected, run.history.len())?),
        None => None,
    };
    remove_temporary_files(dir);
    let metrics = dir.join(METRICS_FILE);
    let rows = fs::read_to_string(&metrics).map_or(0, |csv| csv.lines().count().max(1) - 1);
    if rows != run.history.len() {
        write_metrics(&metrics, &run.history)?;
    }
    if settings.optimizer == OptimizerKind::Adam {
        return Err(cannot(
            "it was trained with --optimizer adam, whose moment estimates are not saved; \
             only --optimizer sgd runs can be resumed (start it again instead)"
                .into(),
        ));
    }
    if run.history.len() >= settings.epochs {
        // Killed after its last commit: bring loss.png up to date (while training, the next
        // epoch's commit does that).
        let plot = dir.join(LOSS_PLOT_FILE);
        let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
        if modified(&plot) < modified(&state_path) {
            write_loss_plot(&plot, &run.history)?;
        }
        say!(
            "{} already finished its {} epochs; nothing to resume",
            dir.display(),
            settings.epochs
        );
        return Ok(None);
    }
    let data_args = DataArgs {
        data: run.data.clone(),
    };
    let mnist = data_source::load(&data_args)?;
    let (features, classes) = (mnist.train.features(), mnist.train.num_classes());
    let (inputs, outputs) = (run.sizes[0], run.sizes[run.sizes.len() - 1]);
    if (features, classes) != (inputs, outputs) {
        return Err(cannot(format!(
            "its model takes {inputs} inputs and gives {outputs} classes but the data has \
             {}×{} = {features}-pixel images and {classes} classes",
            mnist.train.rows(),
            mnist.train.cols()
        )));
    }
    if (mnist.train.len(), mnist.test.len()) != (run.train_images, run.test_images) {
        return Err(cannot(format!(
            "it was trained on {} training and {} test images but the data has {} and {}; \
             pass the same data with --data",
            run.train_images,
            run.test_images,
            mnist.train.len(),
            mnist.test.len()
        )));
    }
    check_batch_size(settings.batch_size, &mnist)?;
    let model = Mlp::<f32>::new(&run.sizes, settings.activation, settings.seed);
    if let Some(path) = weights {
        ferrograd::nn::load(&model, &path)?;
    }
    say!(
        "Resuming {} at epoch {}/{}",
        dir.display(),
        run.history.len() + 1,
        settings.epochs
    );
    Ok(Some((run, mnist, model)))
}

/// The file in `dir` that holds the weights `state.txt` records (hash `expected`, after
/// `epoch`); finishes the rename of `model.next.safetensors` if the run was stopped just before
/// it.
fn recorded_weights(dir: &Path, expected: &str, epoch: usize) -> Result<PathBuf, CliError> {
    let (model, next) = (dir.join(MODEL_FILE), dir.join(NEXT_MODEL_FILE));
    if file_sha256(&model).as_deref() == Some(expected) {
        let _ = fs::remove_file(&next);
        return Ok(model);
    }
    if file_sha256(&next).as_deref() == Some(expected) {
        atomic::rename(&next, &model)?;
        return Ok(model);
    }
    Err(CliError::Resume {
        path: model,
        reason: format!(
            "it does not hold the weights of epoch {epoch} that {STATE_FILE} records \
             (missing, or replaced since)"
        ),
    })
}

/// The data folder the run reads, as an absolute path when it can be known.
fn data_folder(args: &DataArgs) -> Option<PathBuf> {
    let dir = args
        .data
        .clone()
        .or_else(|| std::env::var_os("MNIST_DIR").map(PathBuf::from))?;
    Some(std::path::absolute(&dir).unwrap_or(dir))
}

/// A batch cannot be larger than the training set (the last, partial batch is dropped).
fn check_batch_size(batch_size: usize, mnist: &Mnist) -> Result<(), CliError> {
    if batch_size > mnist.train.len() {
        return Err(CliError::Usage(format!(
            "--batch-size {batch_size} is larger than the training set ({} images)",
            mnist.train.len()
        )));
    }
    Ok(())
}

/// How many times the loss of guessing uniformly (ln 10 for ten classes) a batch's loss may be
/// before the run counts as diverged. Training starts near 1 time; a step that takes it past
/// 1000 (logits thousands apart, as `--lr 1e6` gives even where tanh keeps everything finite)
/// does not come back.
const DIVERGED_LOSS_FACTOR: f64 = 1000.0;

/// One pass over the shuffled training set; returns the mean batch loss and the number of
/// steps, or the batch (from 1) at which the loss stopped being finite or exploded, and what it
/// became.
fn train_epoch(
    model: &Mlp<f32>,
    optimizer: &mut dyn Optimizer,
    train: &Dataset,
    settings: &Settings,
    epoch: usize,
) -> Result<(f64, usize), (usize, String)> {
    let classes = model.sizes()[model.sizes().len() - 1];
    let guessing = (classes as f64).ln();
    let limit = DIVERGED_LOSS_FACTOR * guessing;
    let mut batches = train
        .batches::<f32>(settings.batch_size, Some(epoch_seed(settings.seed, epoch)))
        .drop_last(true);
    let progress = progress_bar(batches.len(), epoch, settings.epochs);
    let mut batch = Batch::<f32>::default();
    let (mut loss_sum, mut steps) = (0.0, 0);
    let started = Instant::now();
    while batches.next_into(&mut batch) {
        let x = Tensor::from_array(batch.images.clone());
        let loss = cross_entropy(&model.forward(&x), &batch.labels);
        let value = f64::from(loss.item());
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
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
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

/// Whether every weight and bias is a finite number.
fn weights_are_finite(model: &Mlp<f32>) -> bool {
    model
        .parameters()
        .iter()
        .all(|p| p.data().iter().all(|x| x.is_finite()))
}

/// A per-epoch shuffle seed: the same `--seed` gives the same orders, each epoch a new one.
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ epoch as u64
}

/// Creates the run's folder, removes what an earlier run left there, and writes the initial
/// `state.txt` (no epoch finished), which also proves the folder writable before training.
fn prepare_out_dir(run: &Run) -> Result<(), CliError> {
    let out = &run.out;
    fs::create_dir_all(out).map_err(|source| {
        CliError::Usage(format!(
            "cannot create the output folder {}: {source}",
            out.display()
        ))
    })?;
    for name in [MODEL_FILE, NEXT_MODEL_FILE, METRICS_FILE, LOSS_PLOT_FILE] {
        let _ = fs::remove_file(out.join(name));
    }
    remove_temporary_files(out);
    atomic::write(&out.join(STATE_FILE), run.to_text().as_bytes()).map_err(|error| {
        CliError::Usage(format!(
            "the output folder {} cannot be written: {error}",
            out.display()
        ))
    })
}

/// Removes the temporary files a killed run may have left in `dir`.
fn remove_temporary_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = [MODEL_FILE, NEXT_MODEL_FILE, METRICS_FILE, STATE_FILE]
            .iter()
            .any(|target| atomic::is_temporary_of(name, target))
            || name
                .strip_suffix(".png")
                .is_some_and(|stem| atomic::is_temporary_of(stem, "loss"));
        if ours {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Records a finished epoch: weights, then state (the commit point), then the derived files.
fn save_epoch(run: &mut Run, model: &Mlp<f32>, record: EpochRecord) -> Result<(), CliError> {
    let (next, model_path) = (run.out.join(NEXT_MODEL_FILE), run.out.join(MODEL_FILE));
    ferrograd::nn::save(model, &next)?;
    let hash = file_sha256(&next).ok_or_else(|| {
        CliError::Usage(format!(
            "cannot read back {} after writing it",
            next.display()
        ))
    })?;
    run.history.push(record);
    run.model_sha256 = Some(hash);
    atomic::write(&run.out.join(STATE_FILE), run.to_text().as_bytes())?;
    atomic::rename(&next, &model_path)?;
    write_derived_files(&run.out, &run.history)
}

/// Draws `loss.png` and writes `metrics.csv` for the epochs in `history`.
fn write_derived_files(out: &Path, history: &[EpochRecord]) -> Result<(), CliError> {
    if history.is_empty() {
        return Ok(());
    }
    write_loss_plot(&out.join(LOSS_PLOT_FILE), history)?;
    write_metrics(&out.join(METRICS_FILE), history)
}

/// Draws the loss curves under a temporary `.png` name and renames the image into place.
fn write_loss_plot(path: &Path, history: &[EpochRecord]) -> Result<(), CliError> {
    let train: Vec<f64> = history.iter().map(|r| r.train_loss).collect();
    let val: Vec<f64> = history.iter().map(|r| r.test.loss).collect();
    // `loss.tmp-PID.png`: the plotter picks the image format from the extension.
    let mut temporary = atomic::temporary_path(&path.with_extension("")).into_os_string();
    temporary.push(".png");
    let temporary = PathBuf::from(temporary);
    let drawn = plot::loss_curve(&temporary, &train, &val);
    if drawn.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    drawn?;
    atomic::rename(&temporary, path)
}

/// The SHA-256 of the file at `path`, in lowercase hex; `None` if it cannot be read.
fn file_sha256(path: &Path) -> Option<String> {
    let bytes = fs::read(path).ok()?;
    let digest = Sha256::digest(&bytes);
    Some(digest.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    }))
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

impl Run {
    /// The contents of `state.txt`: `key=value` lines, floats printed so that they read back
    /// exactly.
    fn to_text(&self) -> String {
        let s = &self.settings;
        let mut text = format!(
            "# ferrograd train: the run's settings and finished epochs, for `ferrograd train --resume`\n\
             format={STATE_FORMAT}\n\
             epochs={}\nbatch_size={}\nlr={:?}\nhidden={}\nlayers={}\nactivation={}\n\
             optimizer={}\nseed={}\n",
            s.epochs,
            s.batch_size,
            s.lr,
            s.hidden,
            s.layers,
            s.activation,
            optimizer_name(s.optimizer),
            s.seed,
        );
        let sizes: Vec<String> = self.sizes.iter().map(ToString::to_string).collect();
        let _ = writeln!(text, "sizes={}", sizes.join(","));
        if let Some(data) = self.data.as_deref().and_then(Path::to_str) {
            if !data.contains(['\n', '\r']) {
                let _ = writeln!(text, "data={data}");
            }
        }
        let _ = writeln!(text, "train_images={}", self.train_images);
        let _ = writeln!(text, "test_images={}", self.test_images);
        let _ = writeln!(
            text,
            "model_sha256={}",
            self.model_sha256.as_deref().unwrap_or("")
        );
        for (i, r) in self.history.iter().enumerate() {
            let _ = writeln!(
                text,
                "epoch={},{:?},{:?},{:?},{:?}",
                i + 1,
                r.train_loss,
                r.test.loss,
                r.test.accuracy,
                r.seconds
            );
        }
        text
    }

    /// Reads back [`to_text`](Self::to_text)'s output, read from `path` in the folder `out`.
    fn parse(out: &Path, path: &Path, text: &str) -> Result<Run, CliError> {
        let bad = |line: usize, reason: String| CliError::Resume {
            path: path.to_path_buf(),
            reason: if line == 0 {
                reason
            } else {
                format!("line {line}: {reason}")
            },
        };
        let mut values: Vec<(&str, (usize, &str))> = Vec::new();
        let mut history = Vec::new();
        for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(bad(number, format!("`{line}` is not key=value")));
            };
            if key == "epoch" {
                let record = parse_epoch(value, history.len() + 1).ok_or_else(|| {
                    bad(
                        number,
                        format!("`{line}` is not epoch {}'s numbers", history.len() + 1),
                    )
                })?;
                history.push(record);
            } else if values.iter().any(|(k, _)| *k == key) {
                return Err(bad(number, format!("`{key}` is given twice")));
            } else {
                values.push((key, (number, value)));
            }
        }
        let get = |key: &str| -> Result<(usize, &str), CliError> {
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| *v)
                .ok_or_else(|| bad(0, format!("`{key}` is missing")))
        };
        fn number<T: std::str::FromStr>(
            bad: &dyn Fn(usize, String) -> CliError,
            (line, value): (usize, &str),
            key: &str,
        ) -> Result<T, CliError> {
            value
                .parse()
                .map_err(|_| bad(line, format!("{key} `{value}` is not a valid number")))
        }
        let at_least_one = |(line, value): (usize, &str), key: &str| -> Result<usize, CliError> {
            match number::<usize>(&bad, (line, value), key)? {
                0 => Err(bad(line, format!("{key} must be at least 1"))),
                n => Ok(n),
            }
        };
        if let Some((key, (line, _))) = values.iter().find(|(k, _)| !STATE_KEYS.contains(k)) {
            return Err(bad(*line, format!("unknown key `{key}`")));
        }
        let format: u32 = number(&bad, get("format")?, "format")?;
        if format != STATE_FORMAT {
            return Err(bad(
                get("format")?.0,
                format!("format {format} is not the supported {STATE_FORMAT}"),
            ));
        }
        let lr: f64 = number(&bad, get("lr")?, "lr")?;
        if !(lr.is_finite() && lr > 0.0) {
            return Err(bad(
                get("lr")?.0,
                format!("lr {lr} is not a finite number above 0"),
            ));
        }
        let (activation_line, activation) = get("activation")?;
        let activation = activation
            .parse::<Activation>()
            .map_err(|e| bad(activation_line, e.to_string()))?;
        let (optimizer_line, optimizer) = get("optimizer")?;
        let optimizer = OptimizerKind::from_str(optimizer, true)
            .map_err(|_| bad(optimizer_line, format!("unknown optimizer `{optimizer}`")))?;
        let settings = Settings {
            epochs: at_least_one(get("epochs")?, "epochs")?,
            batch_size: at_least_one(get("batch_size")?, "batch_size")?,
            lr,
            hidden: at_least_one(get("hidden")?, "hidden")?,
            layers: number(&bad, get("layers")?, "layers")?,
            activation,
            optimizer,
            seed: number(&bad, get("seed")?, "seed")?,
        };
        let (sizes_line, sizes_text) = get("sizes")?;
        let sizes: Vec<usize> = sizes_text
            .split(',')
            .map(|s| s.trim().parse::<usize>().ok().filter(|&n| n > 0))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                bad(
                    sizes_line,
                    format!("sizes `{sizes_text}` are not positive numbers"),
                )
            })?;
        if sizes.len() < 2 || sizes != settings.sizes(sizes[0], sizes[sizes.len() - 1]) {
            return Err(bad(
                sizes_line,
                format!("sizes `{sizes_text}` do not match hidden and layers"),
            ));
        }
        if history.len() > settings.epochs {
            return Err(bad(
                0,
                format!("it records {} epochs of {}", history.len(), settings.epochs),
            ));
        }
        let (hash_line, hash) = get("model_sha256")?;
        let model_sha256 = match (hash, history.is_empty()) {
            ("", true) => None,
            (hash, false) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(hash.to_ascii_lowercase())
            }
            _ => {
                return Err(bad(
                    hash_line,
                    "model_sha256 must be 64 hex digits after the first epoch, empty before".into(),
                ));
            }
        };
        Ok(Run {
            out: out.to_path_buf(),
            settings,
            sizes,
            data: get("data").ok().map(|(_, d)| PathBuf::from(d)),
            train_images: number(&bad, get("train_images")?, "train_images")?,
            test_images: number(&bad, get("test_images")?, "test_images")?,
            history,
            model_sha256,
        })
    }
}

/// The keys of `state.txt` besides `epoch`.
const STATE_KEYS: [&str; 14] = [
    "format",
    "epochs",
    "batch_size",
    "lr",
    "hidden",
    "layers",
    "activation",
    "optimizer",
    "seed",
    "sizes",
    "data",
    "train_images",
    "test_images",
    "model_sha256",
];

/// `N,train_loss,val_loss,accuracy,seconds` for epoch `expected`.
fn parse_epoch(value: &str, expected: usize) -> Option<EpochRecord> {
    let mut fields = value.split(',').map(str::trim);
    if fields.next()?.parse::<usize>().ok()? != expected {
        return None;
    }
    let mut next = || fields.next()?.parse::<f64>().ok();
    let record = EpochRecord {
        train_loss: next()?,
        test: Evaluation {
            loss: next()?,
            accuracy: next()?,
        },
        seconds: next()?,
    };
    fields.next().is_none().then_some(record)
}

/// The name `--optimizer` takes for `kind`.
fn optimizer_name(kind: OptimizerKind) -> String {
    kind.to_possible_value()
        .map_or_else(|| format!("{kind:?}"), |v| v.get_name().to_string())
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
    use super::*;

    fn sample_run() -> Run {
        Run {
            out: PathBuf::from("runs/x"),
            settings: Settings {
                epochs: 5,
                batch_size: 32,
                lr: 0.1,
                hidden: 16,
                layers: 2,
                activation: Activation::Relu,
                optimizer: OptimizerKind::Sgd,
                seed: u64::MAX,
            },
            sizes: vec![784, 16, 16, 10],
            data: Some(PathBuf::from("/data/mnist folder")),
            train_images: 60_000,
            test_images: 10_000,
            history: vec![
                EpochRecord {
                    train_loss: 0.1 + 0.2,
                    test: Evaluation {
                        accuracy: 0.9731,
                        loss: 1.0 / 3.0,
                    },
                    seconds: 12.5,
                },
                EpochRecord {
                    train_loss: f64::MIN_POSITIVE,
                    test: Evaluation {
                        accuracy: 1.0,
                        loss: 1e-300,
                    },
                    seconds: 0.0,
                },
            ],
            model_sha256: Some("ab".repeat(32)),
        }
    }

    fn parse(text: &str) -> Result<Run, CliError> {
        Run::parse(Path::new("runs/x"), Path::new("runs/x/state.txt"), text)
    }

    #[test]
    fn state_reads_back_exactly() {
        let run = sample_run();
        assert_eq!(parse(&run.to_text()).unwrap(), run);
        let fresh = Run {
            history: Vec::new(),
            model_sha256: None,
            data: None,
            ..sample_run()
        };
        assert_eq!(parse(&fresh.to_text()).unwrap(), fresh);
    }

    #[test]
    fn damaged_state_is_an_error_naming_the_line() {
        let text = sample_run().to_text();
        let cases = [
            (text.replace("lr=0.1", "lr=-0.1"), "line 5: lr -0.1"),
            (text.replace("epoch=2,", "epoch=3,"), "epoch 2's numbers"),
            (
                text.replace("epochs=5", "epochs=1"),
                "records 2 epochs of 1",
            ),
            (text.replace("activation=relu", "activation=gelu"), "gelu"),
            (
                text.replace("optimizer=sgd", "optimizer=rmsprop"),
                "rmsprop",
            ),
            (
                text.replace("sizes=784,16,16,10", "sizes=784,16,10"),
                "sizes",
            ),
            (text.replace("format=1", "format=2"), "format 2"),
            (text.replace(&"ab".repeat(32), "abc"), "model_sha256"),
            (format!("{text}seed=1\n"), "`seed` is given twice"),
            (format!("{text}colour=blue\n"), "unknown key `colour`"),
            (text.replace("layers=2\n", ""), "`layers` is missing"),
        ];
        for (text, expected) in cases {
            let message = parse(&text).unwrap_err().to_string();
            assert!(message.contains("runs/x/state.txt"), "{message}");
            assert!(message.contains(expected), "{expected}: {message}");
        }
    }

    #[test]
    fn temporary_files_are_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "model.safetensors.tmp-12",
            "model.next.safetensors.tmp-3",
            "metrics.csv.tmp-4",
            "state.txt.tmp-5",
            "loss.tmp-6.png",
        ];
        let kept = [
            "model.safetensors",
            "notes.tmp-1",
            "loss.tmp-x.png",
            "state.txt",
        ];
        for name in names.iter().chain(&kept) {
            fs::write(dir.path().join(name), b"").unwrap();
        }
        remove_temporary_files(dir.path());
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut kept = kept.map(String::from).to_vec();
        kept.sort();
        assert_eq!(left, kept);
    }

    #[test]
    fn dates_from_day_counts() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_786), (2026, 11, 29));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}

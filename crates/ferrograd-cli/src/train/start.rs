//! How a run begins: a new one from the flags, or a stopped one read back from its folder
//! (`--resume`).

use std::fs;
use std::path::{Path, PathBuf};

use ferrograd::data::{Mnist, sha256_file};
use ferrograd::nn::Mlp;

use super::outputs::{
    LOSS_PLOT_FILE, METRICS_FILE, MODEL_FILE, NEXT_MODEL_FILE, STATE_FILE, default_out_dir,
    prepare_out_dir, remove_temporary_files, write_loss_plot, write_metrics,
};
use super::settings::OptimizerKind;
use super::state::Run;
use crate::atomic;
use crate::cli::{DataArgs, TrainArgs};
use crate::commands::say;
use crate::data_source;
use crate::error::CliError;
use crate::peers::{Peers, agree};

/// The run every process trains: rank 0 starts it ([`start`]) or resumes it ([`resume`]) and
/// sends the others its state and weights; each of the others loads the data itself
/// ([`follow`]). `None` when a resumed run had already finished. A failure on any process
/// stops every process (with its message on rank 0).
pub(super) fn begin(
    args: &TrainArgs,
    peers: &dyn Peers,
) -> Result<Option<(Run, Mnist, Mlp<f32>)>, CliError> {
    let lead = match (peers.rank(), &args.resume) {
        (0, None) => start(args).map(Some),
        (0, Some(dir)) => resume(dir, args),
        _ => Ok(None),
    };
    let lead = agree(peers, lead)?;
    if peers.size() == 1 {
        return Ok(lead);
    }
    // Rank 0's state, or nothing when there is nothing to train.
    let mut state = lead
        .as_ref()
        .map_or_else(Vec::new, |(run, ..)| run.to_text().into_bytes());
    peers.broadcast(&mut state);
    if state.is_empty() {
        return Ok(None);
    }
    let joined = match lead {
        Some(lead) => Ok(lead),
        None => follow(args, &state),
    };
    let (run, mnist, model) = agree(peers, joined)?;
    // Rank 0's weights, from the seed or from the run's folder, on every process.
    let mut weights = match peers.rank() {
        0 => ferrograd::nn::to_bytes(&model).map_err(|e| CliError::Usage(e.to_string()))?,
        _ => Vec::new(),
    };
    peers.broadcast(&mut weights);
    let loaded = match peers.rank() {
        0 => Ok(()),
        _ => ferrograd::nn::load_bytes(&model, "rank 0's weights", &weights).map_err(Into::into),
    };
    agree(peers, loaded)?;
    Ok(Some((run, mnist, model)))
}

/// The run on a process other than rank 0: rank 0's `state` (the text of its `state.txt`),
/// the data read here from this process's `--data`, else from the folder rank 0 reads, and the
/// model built from the seed.
fn follow(args: &TrainArgs, state: &[u8]) -> Result<(Run, Mnist, Mlp<f32>), CliError> {
    let out = args
        .resume
        .clone()
        .or_else(|| args.out.clone())
        .unwrap_or_default();
    let state_path = out.join(STATE_FILE);
    let text = String::from_utf8_lossy(state);
    let run = Run::parse(&out, &state_path, &text)?;
    let data_args = DataArgs {
        data: args.data.data.clone().or_else(|| run.data.clone()),
    };
    let mnist = data_source::load(&data_args)?;
    if (mnist.train.len(), mnist.test.len()) != (run.train_images, run.test_images) {
        let folder = data_args
            .data
            .as_deref()
            .map_or("the data".into(), |d| d.display().to_string());
        return Err(CliError::Usage(format!(
            "{folder} holds {} training and {} test images here but {} and {} on rank 0",
            mnist.train.len(),
            mnist.test.len(),
            run.train_images,
            run.test_images
        )));
    }
    let model = Mlp::<f32>::new(&run.sizes, run.settings.activation, run.settings.seed);
    Ok((run, mnist, model))
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
    let settings = args.settings.clone();
    settings.check().map_err(CliError::Usage)?;
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
/// Everything is checked (the state, the settings, the weights' hash, the data) before the
/// folder is touched; then what the stopped process was writing is finished.
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
    if settings.optimizer == OptimizerKind::Adam {
        return Err(cannot(
            "it was trained with --optimizer adam, whose moment estimates are not saved; \
             only --optimizer sgd runs can be resumed (start it again instead)"
                .into(),
        ));
    }
    let weights = match &run.model_sha256 {
        Some(expected) => Some(recorded_weights(dir, expected, run.history.len())?),
        None => None,
    };
    if run.history.len() >= settings.epochs {
        finish_writes(&run, weights.as_deref())?;
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
    if let Some(path) = &weights {
        ferrograd::nn::load(&model, path)?;
    }
    finish_writes(&run, weights.as_deref())?;
    say!(
        "Resuming {} at epoch {}/{}",
        dir.display(),
        run.history.len() + 1,
        settings.epochs
    );
    Ok(Some((run, mnist, model)))
}

/// The file in `dir` that holds the weights `state.txt` records (hash `expected`, after
/// `epoch`): `model.safetensors`, or `model.next.safetensors` if the run was stopped before
/// renaming it. Reads only.
fn recorded_weights(dir: &Path, expected: &str, epoch: usize) -> Result<PathBuf, CliError> {
    let (model, next) = (dir.join(MODEL_FILE), dir.join(NEXT_MODEL_FILE));
    for path in [&model, &next] {
        if sha256_file(path).ok().as_deref() == Some(expected) {
            return Ok(path.clone());
        }
    }
    Err(CliError::Resume {
        path: model,
        reason: format!(
            "it does not hold the weights of epoch {epoch} that {STATE_FILE} records \
             (missing, or replaced since)"
        ),
    })
}

/// Finishes what a stopped run was writing into its folder: the rename of its recorded
/// `weights` to `model.safetensors` (and the removal of a `model.next.safetensors` it had not
/// recorded), the removal of temporary files, and `metrics.csv` when it is behind.
fn finish_writes(run: &Run, weights: Option<&Path>) -> Result<(), CliError> {
    let (model, next) = (run.out.join(MODEL_FILE), run.out.join(NEXT_MODEL_FILE));
    if weights == Some(next.as_path()) {
        atomic::rename(&next, &model)?;
    } else {
        let _ = fs::remove_file(&next);
    }
    remove_temporary_files(&run.out);
    let metrics = run.out.join(METRICS_FILE);
    let rows = fs::read_to_string(&metrics).map_or(0, |csv| csv.lines().count().max(1) - 1);
    if rows != run.history.len() {
        write_metrics(&metrics, &run.history)?;
    }
    Ok(())
}

/// The data folder the run reads, as an absolute path when it can be known.
fn data_folder(args: &DataArgs) -> Option<PathBuf> {
    let dir = Mnist::named_dir(args.data.as_deref())?;
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

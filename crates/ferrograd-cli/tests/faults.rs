//! Faults during training: a run killed with SIGKILL at any moment leaves complete files and
//! can be resumed to the very weights of a run that was never stopped; a diverging loss stops
//! the run at its batch, keeps the last good weights and exits with status 1.
//!
//! `FAULT_KILLS` sets how many times the kill test kills the run (default 12).

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{Fixture, Rng, assert_one_line_error, command, ferrograd, s};
use ferrograd::atomic::is_temporary_of;
use ferrograd::data::sha256_file;
use ferrograd::nn::Mlp;

/// Epochs of the runs that get killed.
const EPOCHS: usize = 8;

/// An optimised build trains so fast that the runs get more work, so that a kill can land in
/// every phase of an epoch.
const FAST: bool = !cfg!(debug_assertions);

/// Hidden units of the runs that get killed.
const HIDDEN: usize = if FAST { 64 } else { 16 };

/// Training images of the runs that get killed.
const TRAIN_IMAGES: u32 = if FAST { 2048 } else { 256 };

/// The settings of the runs that get killed (besides `--data` and `--out`/`--resume`).
const SETTINGS: [&str; 10] = [
    "--epochs",
    "8",
    "--hidden",
    if FAST { "64" } else { "16" },
    "--layers",
    "1",
    "--batch-size",
    "32",
    "--seed",
    "7",
];

/// The layer sizes [`SETTINGS`] give on 28×28 images.
const SIZES: [usize; 3] = [784, HIDDEN, 10];

/// The data of every run here, and an uninterrupted run on it, made once.
struct Reference {
    fixture: Fixture,
    /// The folder of the uninterrupted run.
    run: PathBuf,
    /// How long it took to start and finish its first epoch.
    first_epoch: Duration,
    /// How long each further epoch took, on average.
    epoch_time: Duration,
}

fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let fixture = Fixture::new(TRAIN_IMAGES, 64);
        let run = fixture.path("reference");
        let started = Instant::now();
        let mut child = command(&train_args(&fixture.data(), &run))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The time at which each epoch's line appears (once its files are written).
        let epochs: Vec<Duration> = BufReader::new(child.stdout.take().unwrap())
            .lines()
            .map(|line| line.unwrap())
            .filter(|line| line.starts_with("Epoch "))
            .map(|_| started.elapsed())
            .collect();
        assert!(child.wait().unwrap().success());
        assert_eq!(epochs.len(), EPOCHS);
        Reference {
            fixture,
            run,
            first_epoch: epochs[0],
            epoch_time: (epochs[EPOCHS - 1] - epochs[0]) / (EPOCHS - 1) as u32,
        }
    })
}

/// `train --data DATA --out OUT` with [`SETTINGS`].
fn train_args<'a>(data: &'a Path, out: &'a Path) -> Vec<&'a str> {
    let mut args = vec!["train", "--data", s(data), "--out", s(out)];
    args.extend_from_slice(&SETTINGS);
    args
}

/// The rows of `metrics.csv` without the seconds column, which differs between runs.
fn metrics_without_time(run: &Path) -> Vec<String> {
    let csv = fs::read_to_string(run.join("metrics.csv")).unwrap();
    csv.lines()
        .map(|line| line.rsplit_once(',').unwrap().0.to_string())
        .collect()
}

/// Checks that the run folder `run`, as a SIGKILL left it, holds only complete files that agree
/// with each other; returns the number of finished epochs and of temporary files left over.
fn check_run_folder(run: &Path, sizes: &[usize]) -> (usize, usize) {
    let known = [
        "state.txt",
        "model.safetensors",
        "model.next.safetensors",
        "metrics.csv",
        "loss.png",
    ];
    let mut temporaries = 0;
    let Ok(entries) = fs::read_dir(run) else {
        return (0, 0); // killed before it made the folder
    };
    for entry in entries {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if known.contains(&name.as_str()) {
            continue;
        }
        assert!(
            known.iter().any(|target| is_temporary_of(&name, target)),
            "unexpected file {name} in {}",
            run.display()
        );
        temporaries += 1;
    }

    let Ok(state) = fs::read_to_string(run.join("state.txt")) else {
        // Killed before the run had started writing.
        assert!(!run.join("model.safetensors").exists());
        return (0, temporaries);
    };
    assert!(state.ends_with('\n'), "state.txt cut short:\n{state}");
    let state: serde_json::Value = serde_json::from_str(&state)
        .unwrap_or_else(|e| panic!("state.txt is damaged: {e}\n{state}"));
    let epochs = state["run"]["history"].as_array().unwrap().len();

    let model = run.join("model.safetensors");
    if epochs > 0 {
        let recorded = state["run"]["model_sha256"]
            .as_str()
            .expect("state.txt records the weights' hash");
        let hashes: Vec<String> = [&model, &run.join("model.next.safetensors")]
            .iter()
            .filter_map(|p| sha256_file(p).ok())
            .collect();
        assert!(
            hashes.iter().any(|h| h == recorded),
            "no weights file matches state.txt after epoch {epochs}"
        );
    }
    if model.exists() {
        let mlp = Mlp::<f32>::from_safetensors(&model, None)
            .unwrap_or_else(|e| panic!("model.safetensors is damaged: {e}"))
            .mlp;
        assert_eq!(mlp.sizes(), sizes);
    }

    if let Ok(csv) = fs::read_to_string(run.join("metrics.csv")) {
        assert!(csv.ends_with('\n'), "metrics.csv cut short:\n{csv}");
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("epoch,train_loss,val_loss,test_acc,seconds")
        );
        let rows: Vec<&str> = lines.collect();
        for (i, row) in rows.iter().enumerate() {
            let fields: Vec<&str> = row.split(',').collect();
            assert_eq!(fields.len(), 5, "incomplete row {row:?}");
            assert_eq!(fields[0], (i + 1).to_string());
            assert!(
                fields[1..].iter().all(|f| f.parse::<f64>().is_ok()),
                "{row}"
            );
        }
        // metrics.csv is rewritten last, after state.txt.
        assert!(
            rows.len() == epochs || rows.len() + 1 == epochs,
            "metrics.csv has {} rows, state.txt {epochs} epochs",
            rows.len()
        );
    }

    if let Ok(png) = fs::read(run.join("loss.png")) {
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "loss.png is no PNG");
        assert!(png.ends_with(b"IEND\xae\x42\x60\x82"), "loss.png cut short");
    }
    (epochs, temporaries)
}

/// Runs the stopped run in `run` to its end (resuming it, or starting it if it never wrote its
/// state) and checks that it ends exactly as the uninterrupted run did.
fn finish_and_compare(reference: &Reference, run: &Path) {
    let output = if run.join("state.txt").exists() {
        ferrograd(&["train", "--resume", s(run)])
    } else {
        ferrograd(&train_args(&reference.fixture.data(), run))
    };
    assert!(output.status.success(), "{output:?}");
    let files: Vec<_> = fs::read_dir(run)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(check_run_folder(run, &SIZES), (EPOCHS, 0), "{files:?}");
    assert_eq!(
        fs::read(run.join("model.safetensors")).unwrap(),
        fs::read(reference.run.join("model.safetensors")).unwrap(),
        "the resumed run's weights differ from the uninterrupted run's"
    );
    assert_eq!(
        metrics_without_time(run),
        metrics_without_time(&reference.run)
    );
}

#[test]
fn sigkill_at_random_moments_loses_nothing() {
    let reference = reference();
    let fixture = &reference.fixture;
    let run = fixture.path("killed");
    let kills: usize = std::env::var("FAULT_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    // Kill anywhere from the start to the end of the second epoch: while loading, training,
    // writing.
    let window = (reference.first_epoch + reference.epoch_time).as_micros() as u64;
    let mut rng = Rng::new(2024);
    let (mut left_temporaries, mut progress, mut finished) = (0, Vec::new(), 0);
    for _ in 0..kills {
        let mut child = if run.join("state.txt").exists() {
            command(&["train", "--resume", s(&run)])
        } else {
            command(&train_args(&fixture.data(), &run))
        }
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(window)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        if !status.success() {
            assert_eq!(status.signal(), Some(9), "{status:?}");
            let (epochs, temporaries) = check_run_folder(&run, &SIZES);
            left_temporaries += usize::from(temporaries > 0);
            progress.push(epochs);
        }
        if status.success() || progress.last() == Some(&EPOCHS) {
            // Done despite the kills: check it, and start again.
            finish_and_compare(reference, &run);
            fs::remove_dir_all(&run).unwrap();
            finished += 1;
            progress.push(0);
        }
    }
    eprintln!(
        "first epoch after {:?}, then one every {:?}",
        reference.first_epoch, reference.epoch_time
    );
    eprintln!(
        "{} kills; epochs finished after each (0 after a restart): {progress:?}; \
         {left_temporaries} left a temporary file; {finished} runs finished between kills",
        progress.len() - finished
    );
    finish_and_compare(reference, &run);
}

#[test]
fn resume_after_a_kill_reaches_the_same_weights() {
    let reference = reference();
    let fixture = &reference.fixture;
    let run = fixture.path("stopped");
    let mut child = command(&train_args(&fixture.data(), &run))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let metrics = run.join("metrics.csv");
    let deadline = Instant::now() + Duration::from_secs(60);
    while fs::read_to_string(&metrics).map_or(0, |csv| csv.lines().count()) < 2 {
        assert!(Instant::now() < deadline, "no epoch finished within 60 s");
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(9), "it was killed");
    let (epochs, _) = check_run_folder(&run, &SIZES);
    assert!(
        (1..EPOCHS).contains(&epochs),
        "killed after {epochs} epochs"
    );

    let output = ferrograd(&["train", "--resume", s(&run)]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("at epoch {}/{EPOCHS}", epochs + 1)),
        "{stdout}"
    );
    assert!(
        !stdout.contains("Epoch 1/"),
        "epoch 1 was not trained again"
    );
    assert_eq!(
        fs::read(run.join("model.safetensors")).unwrap(),
        fs::read(reference.run.join("model.safetensors")).unwrap(),
        "the resumed run's weights differ from the uninterrupted run's"
    );
    assert_eq!(
        metrics_without_time(&run),
        metrics_without_time(&reference.run)
    );
}

/// `train` flags under which the loss becomes NaN in the first few batches.
const DIVERGING: [&str; 8] = [
    "--lr",
    "1e6",
    "--activation",
    "relu",
    "--layers",
    "3",
    "--hidden",
    "32",
];

#[test]
fn a_diverging_loss_stops_the_run_at_its_batch() {
    let fixture = Fixture::new(256, 32);
    let run = fixture.path("run");
    let data = fixture.data();
    // ReLU lets the activations overflow; tanh keeps the loss finite but huge.
    for flags in [&DIVERGING[..], &["--lr", "1e6", "--hidden", "32"]] {
        let mut args = vec!["train", "--data", s(&data), "--out", s(&run)];
        args.extend_from_slice(flags);
        let line = assert_one_line_error(
            &ferrograd(&args),
            1,
            &[
                "the loss became ",
                "at epoch 1, batch ",
                "try a smaller --lr",
                "No epoch was completed",
            ],
        );
        assert!(
            ["NaN", "inf", "over 1000 times the 2.30 of guessing"]
                .iter()
                .any(|what| line.contains(what)),
            "{line}"
        );
        assert!(!run.join("model.safetensors").exists());
        assert!(!run.join("metrics.csv").exists());
    }
}

/// A linear model whose loss overflows to infinity: the check is for non-finite losses too.
#[test]
fn an_infinite_loss_stops_the_run() {
    let fixture = Fixture::new(256, 32);
    let run = fixture.path("run");
    let data = fixture.data();
    let args = [
        "train",
        "--data",
        s(&data),
        "--out",
        s(&run),
        "--lr",
        "1e38",
        "--layers",
        "0",
    ];
    let line = assert_one_line_error(&ferrograd(&args), 1, &["at epoch 1, batch "]);
    assert!(line.contains("NaN") || line.contains("inf"), "{line}");
}

#[test]
fn a_diverging_loss_keeps_the_last_good_weights() {
    let fixture = Fixture::new(256, 32);
    let run = fixture.path("run");
    // One good epoch with the diverging run's architecture...
    let data = fixture.data();
    let mut args = vec!["train", "--data", s(&data), "--out", s(&run)];
    args.extend_from_slice(&DIVERGING);
    args[6] = "0.05";
    args.extend_from_slice(&["--epochs", "1"]);
    let output = ferrograd(&args);
    assert!(output.status.success(), "{output:?}");
    let weights = fs::read(run.join("model.safetensors")).unwrap();
    let metrics = fs::read(run.join("metrics.csv")).unwrap();

    // ...then its learning rate raised to 1e6 (no flag changes a run's settings on resume, so
    // its state file is edited) for two more epochs.
    let state = run.join("state.txt");
    let text = fs::read_to_string(&state).unwrap();
    let text = text
        .replace("\"lr\": 0.05,", "\"lr\": 1000000.0,")
        .replace("\"epochs\": 1,", "\"epochs\": 3,");
    fs::write(&state, text).unwrap();
    let output = ferrograd(&["train", "--resume", s(&run)]);
    let model = run.join("model.safetensors");
    assert_one_line_error(
        &output,
        1,
        &["at epoch 2, batch ", "weights of epoch 1", s(&model)],
    );
    assert_eq!(
        fs::read(&model).unwrap(),
        weights,
        "the good weights are kept"
    );
    assert_eq!(fs::read(run.join("metrics.csv")).unwrap(), metrics);
    assert_eq!(check_run_folder(&run, &[784, 32, 32, 32, 10]).0, 1);
}

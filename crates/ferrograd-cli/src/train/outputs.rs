//! The files in the run's folder: preparing it, saving each epoch (weights, `state.txt`,
//! `metrics.csv`, `loss.png`), clearing a killed run's temporary files, and the default
//! timestamped folder name.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use ferrograd::nn::Mlp;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::state::{EpochRecord, Run};
use super::{LOSS_PLOT_FILE, METRICS_FILE, MODEL_FILE, NEXT_MODEL_FILE, STATE_FILE};
use crate::error::CliError;
use crate::{atomic, plot};

/// Creates the run's folder, removes what an earlier run left there, and writes the initial
/// `state.txt` (no epoch finished), which also proves the folder writable before training.
pub(super) fn prepare_out_dir(run: &Run) -> Result<(), CliError> {
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
pub(super) fn remove_temporary_files(dir: &Path) {
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
pub(super) fn save_epoch(
    run: &mut Run,
    model: &Mlp<f32>,
    record: EpochRecord,
) -> Result<(), CliError> {
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
pub(super) fn write_loss_plot(path: &Path, history: &[EpochRecord]) -> Result<(), CliError> {
    let train: Vec<f64> = history.iter().map(|r| r.train_loss).collect();
    let val: Vec<f64> = history.iter().map(|r| r.test.loss).collect();
    // `loss.tmp-PID.png`: the plotter picks the image format from the extension.
    let mut temporary =
        ferrograd::atomic::temporary_path(&path.with_extension("")).into_os_string();
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
pub(super) fn file_sha256(path: &Path) -> Option<String> {
    let bytes = fs::read(path).ok()?;
    let digest = Sha256::digest(&bytes);
    Some(digest.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    }))
}

/// Rewrites `metrics.csv` with every epoch so far.
pub(super) fn write_metrics(path: &Path, history: &[EpochRecord]) -> Result<(), CliError> {
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

/// `runs/YYYYMMDD-HHMMSS`, the time now in UTC.
pub(super) fn default_out_dir() -> PathBuf {
    PathBuf::from("runs").join(run_name(Timestamp::now()))
}

/// `YYYYMMDD-HHMMSS` of `time` in UTC.
fn run_name(time: Timestamp) -> String {
    time.strftime("%Y%m%d-%H%M%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn run_names_are_utc_date_and_time() {
        let name = |seconds| run_name(Timestamp::from_second(seconds).unwrap());
        assert_eq!(name(0), "19700101-000000");
        assert_eq!(name(20_786 * 86_400 + 3_723), "20261129-010203");
        assert_eq!(name(11_016 * 86_400 + 86_399), "20000229-235959");
    }
}

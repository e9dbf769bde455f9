//! The files in the run's folder: preparing it, saving each epoch (weights, `state.txt`,
//! `metrics.csv`, `loss.png`), clearing a killed run's temporary files, and the default
//! timestamped folder name.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use ferrograd::atomic::{AtomicFile, is_temporary_of};
use ferrograd::data::sha256_file;
use ferrograd::nn::Mlp;
use jiff::Timestamp;

use super::state::{EpochRecord, Run};
use crate::error::CliError;
use crate::{atomic, plot};

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
        let ours = [
            MODEL_FILE,
            NEXT_MODEL_FILE,
            METRICS_FILE,
            STATE_FILE,
            LOSS_PLOT_FILE,
        ]
        .iter()
        .any(|target| is_temporary_of(name, target));
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
    let hash = sha256_file(&next).map_err(|error| {
        CliError::Usage(format!(
            "cannot read back {} after writing it: {error}",
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

/// Draws the loss curves into a temporary file beside `path` (named `loss.tmp-*.png`: the
/// plotter picks the image format from the extension) and renames it into place.
pub(super) fn write_loss_plot(path: &Path, history: &[EpochRecord]) -> Result<(), CliError> {
    let train: Vec<f64> = history.iter().map(|r| r.train_loss).collect();
    let val: Vec<f64> = history.iter().map(|r| r.test.loss).collect();
    let file = AtomicFile::create(path).map_err(atomic::cannot_write(path))?;
    plot::loss_curve(file.path(), &train, &val)?;
    file.commit().map_err(atomic::cannot_write(path))
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
            "model.tmp-a1B2c3.safetensors",
            "model.next.tmp-XyZ123.safetensors",
            "metrics.tmp-000000.csv",
            "state.tmp-abcdef.txt",
            "loss.tmp-Q9w8E7.png",
        ];
        let kept = [
            "model.safetensors",
            "notes.tmp-abc123.txt",
            "loss.tmp-x_y.png",
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

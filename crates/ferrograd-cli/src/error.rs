//! Everything that can stop a command, each with a message that names the file or argument.

use std::path::PathBuf;

use ferrograd::data::DataError;
use ferrograd::nn::CheckpointError;
use thiserror::Error;

use crate::download::DownloadError;
use crate::plot::PlotError;

/// Why a command failed. `main` prints it on one line and exits with [`exit_code`](Self::exit_code).
#[derive(Debug, Error)]
pub enum CliError {
    /// The data could not be loaded.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The data could not be downloaded.
    #[error(transparent)]
    Download(#[from] DownloadError),
    /// A model file could not be read or written.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// A plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A file or folder could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Arguments that parse but do not fit the data or each other.
    #[error("{0}")]
    Usage(String),
    /// Training diverged.
    #[error(
        "the loss became {loss} at epoch {epoch}, batch {batch}; training stopped \
         (try a smaller --lr). The weights of the last completed epoch are in {}",
        out.display()
    )]
    Diverged {
        /// The epoch, from 1.
        epoch: usize,
        /// The batch within the epoch, from 1.
        batch: usize,
        /// The loss value (NaN or infinite).
        loss: f64,
        /// The run's output folder.
        out: PathBuf,
    },
}

impl CliError {
    /// 1 when training diverged, 2 for bad input of any kind.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Diverged { .. } => 1,
            _ => 2,
        }
    }
}

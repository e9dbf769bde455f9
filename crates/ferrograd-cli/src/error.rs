//! Everything that can stop a command, each with a message that names the file or argument.

use std::net::SocketAddr;
use std::path::PathBuf;

use ferrograd::data::{DataError, DownloadError};
use ferrograd::nn::{Architecture, CheckpointError};
use ferrograd::optim::OptimError;
use ferrograd::train::recipe;
use thiserror::Error;

use crate::plot::PlotError;

/// Why a command failed. `main` prints it on one line and exits with [`exit_code`](Self::exit_code).
#[derive(Debug, Error)]
pub enum CliError {
    /// The data could not be loaded.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The data could not be downloaded; the message adds the two ways to provide it.
    #[error(
        "{0}; put the four files in a folder yourself and pass `--data DIR`, or set MNIST_DIR \
         to that folder"
    )]
    Download(#[from] DownloadError),
    /// A model file could not be read or written.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// An optimizer setting is out of its range.
    #[error(transparent)]
    Optim(#[from] OptimError),
    /// A plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// `serve` could not start.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// A file or folder could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `train --resume` cannot continue from the folder or file `path`.
    #[error("cannot resume from {}: {reason}", path.display())]
    Resume {
        /// The run's folder, or the file in it that is wrong.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Arguments that parse but do not fit the data or each other.
    #[error("{0}")]
    Usage(String),
    /// Another process of the run failed (its message, already agreed by every process).
    #[error("rank {rank}: {message}")]
    Peer {
        /// The failing process's rank.
        rank: usize,
        /// Its error's message.
        message: String,
        /// Its error's exit status.
        exit_code: i32,
    },
    /// Training diverged.
    #[error(
        "{what} at epoch {epoch}, batch {batch}; training stopped (try a smaller --lr). {}",
        kept_weights(out, *last_epoch)
    )]
    Diverged {
        /// What happened, e.g. "the loss became NaN".
        what: String,
        /// The epoch, from 1.
        epoch: usize,
        /// The batch within the epoch, from 1.
        batch: usize,
        /// The run's output folder.
        out: PathBuf,
        /// The last epoch whose weights are saved in `out`, if any epoch was completed.
        last_epoch: Option<usize>,
    },
}

/// Why `serve` could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A file of the page's build is missing.
    #[error(
        "the page is not built: {} is missing (run `bash web/build.sh`, or pass --page DIR)",
        .path.display()
    )]
    MissingPage {
        /// The missing file.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The model file holds a network of other sizes than the recipe's, which the page runs.
    #[error(
        "{} holds a {architecture} network; the page runs the recipe's {}",
        .path.display(),
        recipe_sizes()
    )]
    NotTheRecipe {
        /// The model file.
        path: PathBuf,
        /// What it holds.
        architecture: Architecture,
    },
    /// The address could not be listened on (the port is in use, say).
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
}

/// What a diverged run leaves behind.
fn kept_weights(out: &std::path::Path, last_epoch: Option<usize>) -> String {
    match last_epoch {
        Some(epoch) => format!(
            "The weights of epoch {epoch}, the last completed one, are in {}",
            out.join("model.safetensors").display()
        ),
        None => "No epoch was completed, so no weights were written".to_string(),
    }
}

impl CliError {
    /// 1 when training diverged, 2 for bad input of any kind (another process's status for
    /// [`CliError::Peer`]).
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Diverged { .. } => 1,
            CliError::Peer { exit_code, .. } => *exit_code,
            _ => 2,
        }
    }
}

/// Handles a command line that clap rejected: `--help` and `--version` print as usual and exit
/// with status 0; a bare `ferrograd` prints the help and exits with status 2; any other error is
/// printed as one line, `ferrograd: error: ...`, and exits with status 2.
pub fn exit_on_clap_error(error: clap::Error) -> ! {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error.exit(),
        _ => {
            eprintln!("ferrograd: error: {}", clap_error_line(&error));
            std::process::exit(2);
        }
    }
}

/// The first paragraph of clap's message on one line, without its `error: ` prefix, plus a
/// pointer to `--help`.
pub fn clap_error_line(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let paragraph: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    let line = paragraph.join(" ");
    let line = line.strip_prefix("error: ").unwrap_or(&line);
    format!("{line} (see --help)")
}

/// `784-256-256-10`: the recipe's sizes, which the page runs.
fn recipe_sizes() -> String {
    recipe::SIZES.map(|size| size.to_string()).join("-")
}

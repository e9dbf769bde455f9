//! Reading a model file for `eval` and `serve`: the network it records, `--activation` checked
//! against it, and one line on stderr saying what was assumed of a file that records none.

use std::path::Path;

use ferrograd::nn::{Activation, CheckpointError, LoadedMlp, Mlp};

use crate::error::CliError;

/// The network in the model file at `path`, given `--activation` (`activation`).
pub fn read(path: &Path, activation: Option<Activation>) -> Result<LoadedMlp<f32>, CliError> {
    Mlp::from_safetensors(path, activation).map_err(flag_error)
}

/// As [`read`], from the file's contents `bytes`.
pub fn read_bytes(
    path: &Path,
    bytes: &[u8],
    activation: Option<Activation>,
) -> Result<LoadedMlp<f32>, CliError> {
    Mlp::from_safetensors_bytes(path, bytes, activation).map_err(flag_error)
}

/// `error`, with an activation that contradicts the file named as the flag that gave it.
fn flag_error(error: CheckpointError) -> CliError {
    match error {
        CheckpointError::WrongActivation {
            path,
            expected,
            found,
        } => CliError::Usage(format!(
            "--activation {expected} contradicts {}, which records {found} \
             (leave --activation out to use the file's)",
            path.display()
        )),
        error => error.into(),
    }
}

/// Says on stderr, in one line, what was assumed of a file that records no architecture, if
/// `loaded` is one; `activation` is `--activation`. Called once the command is about to use the
/// network, so that bad input still ends in one line, the error.
pub fn note_assumption(loaded: &LoadedMlp<f32>, activation: Option<Activation>) {
    if let Some(assumed) = &loaded.assumed {
        let hint = if activation.is_none() {
            "; if it was trained with another activation, pass --activation"
        } else {
            ""
        };
        eprintln!("ferrograd: note: {assumed}{hint}");
    }
}

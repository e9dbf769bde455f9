//! Loading the data: `--data DIR`, else `$MNIST_DIR`, else the cache folder (downloading there),
//! by the library's rule ([`Mnist::find_or_download`]).

use std::io::IsTerminal;

use ferrograd::data::Mnist;

use crate::cli::DataArgs;
use crate::error::CliError;

/// Loads the data set the arguments point at. Only the cache folder is ever downloaded into:
/// a folder the user names is read as it is.
pub fn load(args: &DataArgs) -> Result<Mnist, CliError> {
    let dir = Mnist::find_or_download(args.data.as_deref(), std::io::stderr().is_terminal())?;
    Ok(Mnist::load(dir)?)
}

//! Finding the data: `--data DIR`, else `$MNIST_DIR`, else the cache folder (downloading there).

use std::io::IsTerminal;
use std::path::PathBuf;

use ferrograd::data::Mnist;

use crate::cli::DataArgs;
use crate::download::{MNIST_MIRRORS, default_cache_dir, ensure_mnist};
use crate::error::CliError;

/// Loads the data set the arguments point at. Only the cache folder is ever downloaded into:
/// a folder the user names is read as it is.
pub fn load(args: &DataArgs) -> Result<Mnist, CliError> {
    let dir = match named_folder(args) {
        Some(dir) => dir,
        None => {
            let dir = default_cache_dir();
            ensure_mnist(&dir, &MNIST_MIRRORS, std::io::stderr().is_terminal())?;
            dir
        }
    };
    Ok(Mnist::load(dir)?)
}

/// The folder the user named: `--data DIR`, else `$MNIST_DIR`; `None` means the cache folder.
pub fn named_folder(args: &DataArgs) -> Option<PathBuf> {
    args.data
        .clone()
        .or_else(|| std::env::var_os("MNIST_DIR").map(PathBuf::from))
}

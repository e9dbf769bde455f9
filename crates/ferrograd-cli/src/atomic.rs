//! The library's crash-safe file writes ([`ferrograd::atomic`]), with errors that name the file.

use std::io;
use std::path::Path;

use crate::error::CliError;

/// [`ferrograd::atomic::write`]: `path` ends up the old complete file or the new one.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    ferrograd::atomic::write(path, bytes).map_err(cannot_write(path))
}

/// [`ferrograd::atomic::rename`]: replaces `to` with `from` in one step.
pub fn rename(from: &Path, to: &Path) -> Result<(), CliError> {
    ferrograd::atomic::rename(from, to).map_err(cannot_write(to))
}

/// The error for a failed write of `path`.
pub fn cannot_write(path: &Path) -> impl FnOnce(io::Error) -> CliError {
    let path = path.to_path_buf();
    |source| CliError::Write { path, source }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn a_failed_write_names_the_file_and_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, b"x").unwrap();
        let error = write(&blocker.join("metrics.csv"), b"new").unwrap_err();
        assert!(error.to_string().contains("metrics.csv"), "{error}");
        assert_eq!(fs::read(&blocker).unwrap(), b"x");
    }
}

//! The library's crash-safe file writes ([`ferrograd::atomic`]), with errors that name the file,
//! and how to recognise the temporary files they leave when killed.

use std::path::Path;

use crate::error::CliError;

/// [`ferrograd::atomic::write`]: `path` ends up the old complete file or the new one.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    ferrograd::atomic::write(path, bytes).map_err(|source| CliError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// [`ferrograd::atomic::rename`]: replaces `to` with `from` in one step.
pub fn rename(from: &Path, to: &Path) -> Result<(), CliError> {
    ferrograd::atomic::rename(from, to).map_err(|source| CliError::Write {
        path: to.to_path_buf(),
        source,
    })
}

/// Whether the file name `name` is a temporary file that [`write()`] left for a file called
/// `target` (a process killed between creating it and renaming it).
pub fn is_temporary_of(name: &str, target: &str) -> bool {
    name.strip_prefix(target)
        .and_then(|rest| rest.strip_prefix(".tmp-"))
        .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
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

    #[test]
    fn recognises_its_temporary_names() {
        let temporary = ferrograd::atomic::temporary_path(Path::new("model.safetensors"));
        let name = temporary.to_str().unwrap();
        assert!(is_temporary_of(name, "model.safetensors"));
        assert!(is_temporary_of("metrics.csv.tmp-12", "metrics.csv"));
        assert!(!is_temporary_of("metrics.csv", "metrics.csv"));
        assert!(!is_temporary_of("metrics.csv.tmp-", "metrics.csv"));
        assert!(!is_temporary_of("metrics.csv.tmp-1x", "metrics.csv"));
    }
}

//! Writing a file so that it is either the old complete version or the new one, never half.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk and renames it over
/// `path`. A process killed at any moment leaves `path` as it was or complete, and at worst a
/// stray temporary file (see [`temporary_path`]).
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let temporary = temporary_path(path);
    let result = write_synced(&temporary, bytes).and_then(|()| fs::rename(&temporary, path));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.map_err(|source| CliError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    sync_parent(path);
    Ok(())
}

/// Renames `from` to `to` (in the same folder), replacing `to` in one step.
pub fn rename(from: &Path, to: &Path) -> Result<(), CliError> {
    fs::rename(from, to).map_err(|source| CliError::Write {
        path: to.to_path_buf(),
        source,
    })?;
    sync_parent(to);
    Ok(())
}

/// The temporary name [`write`](fn@write) uses for `path`: `path.tmp-PID`, so that two processes never
/// write the same temporary file.
pub fn temporary_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(format!(".tmp-{}", std::process::id()));
    PathBuf::from(name)
}

/// Whether `name` is a temporary file left by [`write`](fn@write) (or by `ferrograd::nn::save`, which
/// names its temporary files the same way) for a file called `target`.
pub fn is_temporary_of(name: &str, target: &str) -> bool {
    name.strip_prefix(target)
        .and_then(|rest| rest.strip_prefix(".tmp-"))
        .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Creates `path` holding `bytes` and waits until they are on disk.
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Asks the file system to persist the folder entry of `path` (best effort: the rename has
/// already happened for every other process; this only matters after a power loss).
fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(dir) = fs::File::open(parent) {
            let _ = dir.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.csv");
        write(&path, b"old\n").unwrap();
        write(&path, b"new\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

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
        let temporary = temporary_path(Path::new("model.safetensors"));
        let name = temporary.to_str().unwrap();
        assert!(is_temporary_of(name, "model.safetensors"));
        assert!(is_temporary_of("metrics.csv.tmp-12", "metrics.csv"));
        assert!(!is_temporary_of("metrics.csv", "metrics.csv"));
        assert!(!is_temporary_of("metrics.csv.tmp-", "metrics.csv"));
        assert!(!is_temporary_of("metrics.csv.tmp-1x", "metrics.csv"));
    }
}

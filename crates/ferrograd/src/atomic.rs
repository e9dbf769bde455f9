//! Writing files so that a process killed at any moment leaves either the old complete file or
//! the new one, never half of one: [`write()`] goes through a temporary file beside the target,
//! synced to disk, and a rename. `nn::save` writes checkpoints this way.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to [`temporary_path`]`(path)`, syncs it to disk and renames it over `path`.
/// On failure the temporary file is removed and `path` is untouched.
///
/// ```
/// let path = std::env::temp_dir().join(format!("ferrograd-doc-{}.txt", std::process::id()));
/// ferrograd::atomic::write(&path, b"complete").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"complete");
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temporary = temporary_path(path);
    let result = write_synced(&temporary, bytes).and_then(|()| fs::rename(&temporary, path));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result?;
    sync_parent(path);
    Ok(())
}

/// Renames `from` to `to` (in the same folder), replacing `to` in one step, and asks the file
/// system to persist the change.
pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    sync_parent(to);
    Ok(())
}

/// The temporary name [`write()`] uses for `path`: `path.tmp-PID`, so that two processes never
/// write the same temporary file.
pub fn temporary_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(format!(".tmp-{}", std::process::id()));
    PathBuf::from(name)
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
        let dir = std::env::temp_dir().join(format!("ferrograd-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("metrics.csv");
        write(&path, b"old\n").unwrap();
        write(&path, b"new\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new\n");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}

//! Writing files so that a process killed at any moment leaves either the old complete file or
//! the new one, never half of one.
//!
//! An [`AtomicFile`] is a temporary file beside the target (tempfile's `NamedTempFile`, deleted
//! if it is dropped unfinished); [`AtomicFile::commit`] syncs it to disk, renames it over the
//! target and asks the file system to persist the folder's entry. [`write()`] does all of it for
//! bytes in memory. `nn::save`, the MNIST download and the CLI's run files are written this way.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// What a temporary file's name holds between the target's stem and its extension:
/// `model.tmp-Ab3xYz.safetensors` for `model.safetensors`. The extension stays last, so a writer
/// that picks the format from it (an image encoder) sees the target's.
const TEMPORARY_MARK: &str = ".tmp-";

/// A file being written under a temporary name beside its target, which [`commit`] puts in
/// place in one step. Dropped without [`commit`], it is deleted and the target is untouched.
///
/// ```
/// use std::io::Write;
/// use ferrograd::atomic::AtomicFile;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("metrics.csv");
/// let mut file = AtomicFile::create(&path)?;
/// file.write_all(b"epoch,loss\n")?;
/// assert!(!path.exists()); // only the temporary file exists so far
/// file.commit()?;
/// assert_eq!(std::fs::read(&path)?, b"epoch,loss\n");
/// assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// [`commit`]: AtomicFile::commit
#[derive(Debug)]
pub struct AtomicFile {
    file: NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// Creates an empty temporary file for `path` in `path`'s folder, under a name that
    /// [`is_temporary_of`] recognises, with the permissions `File::create` would give it.
    ///
    /// # Errors
    ///
    /// The folder does not exist or cannot be written, or `path` names no file.
    pub fn create(path: &Path) -> io::Result<Self> {
        let stem = path
            .file_stem()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
        let mut prefix = OsString::from(stem);
        prefix.push(TEMPORARY_MARK);
        let mut suffix = OsString::new();
        if let Some(extension) = path.extension() {
            suffix.push(".");
            suffix.push(extension);
        }
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(&suffix);
        // tempfile's default is 0600; `File::create`'s is 0666, less the umask.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let file = builder.tempfile_in(folder_of(path))?;
        Ok(AtomicFile {
            file,
            target: path.to_path_buf(),
        })
    }

    /// The temporary file's path, for a writer that opens the file by name itself.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Waits until the content is on disk, renames the temporary file over the target, and asks
    /// the file system to persist the rename (best effort: the rename has already happened for
    /// every other process; that last step only matters after a power loss).
    ///
    /// # Errors
    ///
    /// The sync or the rename failed; the temporary file is deleted and the target untouched.
    pub fn commit(self) -> io::Result<()> {
        self.file.as_file().sync_all()?;
        self.file
            .persist(&self.target)
            .map_err(|error| error.error)?;
        sync_folder(&self.target);
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.file.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Writes `bytes` to `path` through an [`AtomicFile`]: afterwards `path` holds either its old
/// content or all of `bytes`, whenever the process is stopped.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("model.safetensors");
/// ferrograd::atomic::write(&path, b"complete")?;
/// assert_eq!(std::fs::read(&path)?, b"complete");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// As [`AtomicFile::create`], writing, and [`AtomicFile::commit`]; `path` is then untouched and
/// no temporary file is left.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// Renames `from` to `to` (in the same folder), replacing `to` in one step, and asks the file
/// system to persist the change.
///
/// # Errors
///
/// The rename failed.
pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    sync_folder(to);
    Ok(())
}

/// Whether the file name `name` is a temporary file that an [`AtomicFile`] for a file called
/// `target` left behind (its process was killed before it committed or deleted it).
///
/// ```
/// use ferrograd::atomic::is_temporary_of;
///
/// assert!(is_temporary_of("model.tmp-Ab3xYz.safetensors", "model.safetensors"));
/// assert!(!is_temporary_of("model.safetensors", "model.safetensors"));
/// ```
pub fn is_temporary_of(name: &str, target: &str) -> bool {
    let target = Path::new(target);
    let (Some(stem), extension) = (target.file_stem(), target.extension()) else {
        return false;
    };
    let extension = extension.map_or(String::new(), |e| format!(".{}", e.to_string_lossy()));
    name.strip_prefix(&*stem.to_string_lossy())
        .and_then(|rest| rest.strip_prefix(TEMPORARY_MARK))
        .and_then(|rest| rest.strip_suffix(&extension))
        .is_some_and(|random| {
            !random.is_empty() && random.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// The folder `path` is in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Asks the file system to persist the folder entry of `path`, ignoring failure.
fn sync_folder(path: &Path) {
    if let Ok(folder) = fs::File::open(folder_of(path)) {
        let _ = folder.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the files in `dir`, sorted.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.csv");
        write(&path, b"old\n").unwrap();
        write(&path, b"new\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new\n");
        assert_eq!(listing(dir.path()), ["metrics.csv"]);
    }

    #[test]
    fn an_unfinished_file_is_deleted_and_the_target_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loss.png");
        write(&path, b"old").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"half").unwrap();
        let temporary = file.path().to_path_buf();
        assert_eq!(temporary.parent(), Some(dir.path()));
        let name = temporary.file_name().unwrap().to_str().unwrap();
        assert!(is_temporary_of(name, "loss.png"), "{name}");
        assert!(name.ends_with(".png"), "{name}");
        drop(file);
        assert_eq!(listing(dir.path()), ["loss.png"]);
        assert_eq!(fs::read(&path).unwrap(), b"old");
    }

    #[cfg(unix)]
    #[test]
    fn files_get_the_permissions_file_create_gives() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (ours, plain) = (dir.path().join("a"), dir.path().join("b"));
        write(&ours, b"x").unwrap();
        fs::write(&plain, b"x").unwrap();
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode(&ours), mode(&plain));
    }

    #[test]
    fn a_failed_write_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-folder").join("state.txt");
        assert!(write(&missing, b"x").is_err());
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn recognises_only_its_temporary_names() {
        for (name, target) in [
            (
                "model.next.tmp-q1W2e3.safetensors",
                "model.next.safetensors",
            ),
            ("state.tmp-abcDEF.txt", "state.txt"),
            (
                "train-images-idx3-ubyte.tmp-000000.gz",
                "train-images-idx3-ubyte.gz",
            ),
            ("notes.tmp-x1", "notes"),
        ] {
            assert!(is_temporary_of(name, target), "{name} of {target}");
        }
        for (name, target) in [
            ("metrics.csv", "metrics.csv"),
            ("metrics.tmp-.csv", "metrics.csv"),
            ("metrics.tmp-a_b.csv", "metrics.csv"),
            ("metrics.tmp-abc.txt", "metrics.csv"),
            ("loss.tmp-abc.png", "metrics.csv"),
            ("metrics.csv.tmp-12", "metrics.csv"),
        ] {
            assert!(!is_temporary_of(name, target), "{name} of {target}");
        }
    }
}

//! The tests that need the real MNIST files, read from `$MNIST_DIR`.
//!
//! Without the data, each test is reported as ignored with the reason (`ignored (needs MNIST:
//! ...)`), never as a silent "ok"; when the `CI` environment variable is set (CI always has
//! the data), each fails instead. `#[test]` cannot decide at run time that it is ignored, so
//! these tests run under libtest-mimic, which prints and counts like the built-in harness and
//! takes the same arguments (a name filter, `--skip`, `--ignored`, ...).
//!
//! Every test of the workspace that needs the real data goes here (and the Python tests use
//! `conftest.py`'s `mnist_dir` fixture, which does the same).

#[cfg(feature = "download")]
mod server;

use std::path::{Path, PathBuf};

use ferrograd::data::Mnist;
use libtest_mimic::{Arguments, Completion, Trial};

fn main() {
    let args = Arguments::from_args();
    let tests = vec![
        needs_mnist("loads_real_mnist", loads_real_mnist),
        #[cfg(feature = "download")]
        needs_mnist("downloads_and_checks_the_real_files", downloads_real_mnist),
    ];
    libtest_mimic::run(&args, tests).exit();
}

/// A test that runs `test` on the MNIST folder, or is ignored (fails, under CI) without it.
fn needs_mnist(name: &str, test: fn(&Path)) -> Trial {
    Trial::ignorable_test(name, move || match mnist_dir() {
        Ok(dir) => {
            test(&dir);
            Ok(Completion::Completed)
        }
        Err(reason) if std::env::var_os("CI").is_some_and(|ci| !ci.is_empty()) => {
            Err(format!("{reason} (CI is set, and CI always has the data)").into())
        }
        Err(reason) => Ok(Completion::ignored_with(reason)),
    })
}

/// `$MNIST_DIR` when it holds the four files as the mirrors serve them, else why not.
fn mnist_dir() -> Result<PathBuf, String> {
    let dir = std::env::var_os("MNIST_DIR")
        .map(PathBuf::from)
        .ok_or("needs MNIST: set MNIST_DIR to the folder with its four .gz files")?;
    match ferrograd::data::FILE_NAMES
        .iter()
        .map(|name| dir.join(format!("{name}.gz")))
        .find(|path| !path.is_file())
    {
        Some(missing) => Err(format!("needs MNIST: {} is missing", missing.display())),
        None => Ok(dir),
    }
}

fn loads_real_mnist(dir: &Path) {
    let mnist = Mnist::load(dir).unwrap();
    let (train, test) = (&mnist.train, &mnist.test);
    assert_eq!((train.len(), test.len()), (60_000, 10_000));
    for split in [train, test] {
        assert_eq!(
            (split.rows(), split.cols(), split.features()),
            (28, 28, 784)
        );
        assert_eq!(split.images().len(), split.len() * 784);
        assert!(split.labels().iter().all(|&l| l <= 9));
    }
    assert_eq!(train.label(0), 5);
    assert_eq!(test.label(0), 7);
    assert_eq!(
        train.batches::<f32>(32, Some(0)).drop_last(true).len(),
        1875
    );
}

/// The real files, served by a local mirror, pass [`ferrograd::data::MNIST_FILES`]'s checks
/// and load from the folder the download made.
#[cfg(feature = "download")]
fn downloads_real_mnist(dir: &Path) {
    use ferrograd::data::{MNIST_FILES, download};

    let bodies: Vec<(String, Vec<u8>)> = MNIST_FILES
        .iter()
        .map(|(name, _)| {
            (
                format!("/mnist/{name}"),
                std::fs::read(dir.join(name)).unwrap(),
            )
        })
        .collect();
    let served: Vec<(&str, &[u8])> = bodies
        .iter()
        .map(|(path, body)| (path.as_str(), body.as_slice()))
        .collect();
    let server = server::Server::start(&served);
    let cache = tempfile::tempdir().unwrap();
    let fresh = cache.path().join("ferrograd").join("mnist");

    download(&fresh, &MNIST_FILES, &[server.url("mnist/")], false).unwrap();

    let mnist = Mnist::load(&fresh).unwrap();
    assert_eq!((mnist.train.len(), mnist.test.len()), (60_000, 10_000));
    assert_eq!(mnist, Mnist::load(dir).unwrap());
}

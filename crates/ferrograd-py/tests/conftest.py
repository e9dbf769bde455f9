"""Shared fixtures: where MNIST is, and the NumPy reference implementation of the original."""

import importlib.util
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared"


MNIST_FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


@pytest.fixture(scope="session")
def mnist_dir():
    """$MNIST_DIR, holding the four MNIST files. Every test that needs the real data takes this
    fixture: without the data it is skipped with the reason, or fails when $CI is set (CI always
    has the data), as the Rust tests in crates/ferrograd/tests/real_mnist.rs do."""
    value = os.environ.get("MNIST_DIR")
    path = pathlib.Path(value) if value else None
    if path is None:
        reason = "needs MNIST: set MNIST_DIR to the folder with its four .gz files"
    else:
        missing = [name for name in MNIST_FILES if not (path / name).is_file()]
        reason = f"needs MNIST: {path / missing[0]} is missing" if missing else None
    if reason is None:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, and CI always has the data)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def ferrograd_cli():
    """The `ferrograd` binary of this checkout (built if missing; `.ci/python.sh` builds it)."""
    binary = REPO / "target" / "release" / "ferrograd"
    if not binary.exists():
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "ferrograd-cli"], cwd=REPO, check=True)
    return binary


@pytest.fixture(scope="session")
def original():
    """The NumPy implementation of the original submitted.py (shared/bench/python), the reference
    the Rust engine must agree with."""
    path = SHARED / "bench" / "python" / "original_submitted.py"
    if not path.exists():
        pytest.fail(f"{path} not found: the shared folder must sit beside the repository")
    spec = importlib.util.spec_from_file_location("original_submitted", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

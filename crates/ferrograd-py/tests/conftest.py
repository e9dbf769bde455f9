"""Shared fixtures: where MNIST is, and the NumPy reference implementation of the original."""

import importlib.util
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def mnist_dir():
    """$MNIST_DIR, else ../shared/data/mnist beside the repository."""
    path = pathlib.Path(os.environ.get("MNIST_DIR", SHARED / "data" / "mnist"))
    if not (path / "t10k-images-idx3-ubyte.gz").exists():
        pytest.fail(f"MNIST not found in {path}: set MNIST_DIR")
    return path


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

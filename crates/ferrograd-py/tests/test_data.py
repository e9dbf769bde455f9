"""ferrograd.data.load_mnist: the data found as ``ferrograd train`` finds it, and, when it cannot
be had, a message that names what is missing and the ways out in Python's terms."""

import gzip
import socket

import numpy as np
import pytest

import ferrograd


def test_load_mnist_reads_the_named_folder_or_mnist_dir(mnist_dir, monkeypatch):
    (x_train, y_train), (x_test, y_test) = ferrograd.data.load_mnist(mnist_dir)
    assert (x_train.shape, x_test.shape) == ((60000, 784), (10000, 784))
    assert (x_train.dtype, y_train.dtype) == (np.uint8, np.int64)
    assert (y_train[0], y_test[0]) == (5, 7)
    with gzip.open(mnist_dir / "t10k-images-idx3-ubyte.gz") as f:
        first = np.frombuffer(f.read()[16:16 + 784], np.uint8)
    np.testing.assert_array_equal(x_test[0], first)

    monkeypatch.setenv("MNIST_DIR", str(mnist_dir))
    (_, y_again), _ = ferrograd.data.load_mnist()
    np.testing.assert_array_equal(y_again, y_train)


def refusing_mirror():
    """A base URL where nothing listens (a port that was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/mnist/"


def test_without_data_the_error_names_the_files_each_mirror_and_the_python_ways_out(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    mirrors = [refusing_mirror(), refusing_mirror()]
    monkeypatch.setenv("FERROGRAD_MNIST_MIRRORS", " ".join(mirrors))

    with pytest.raises(OSError) as raised:
        ferrograd.data.load_mnist()

    message = str(raised.value)
    assert message.startswith(
        f"MNIST could not be downloaded into {tmp_path / 'cache' / 'ferrograd' / 'mnist'}: "
        "it lacks train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz, "
        "and no mirror delivered train-images-idx3-ubyte.gz ("
    ), message
    for mirror in mirrors:
        assert f"{mirror}train-images-idx3-ubyte.gz: " in message, message
    assert message.endswith(
        "; put the four files in a folder yourself and pass it as load_mnist(path), "
        "or set MNIST_DIR to that folder"
    ), message
    assert "--data" not in message
    assert list(tmp_path.iterdir()) == []

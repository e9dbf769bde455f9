"""Model files say what network they hold: ``MLP.from_file`` builds a relu model as relu (the
CLI's too), refuses an ``activation`` that contradicts the file, naming both, and reads a file
without the metadata as before, with a warning saying what it assumed."""

import json
import re
import struct
import subprocess
import warnings

import numpy as np
import pytest

import ferrograd
from ferrograd.nn import MLP

X = np.random.default_rng(0).normal(size=(4, 6))


def strip_metadata(path):
    """Rewrites the safetensors file at ``path`` without its metadata, as ferrograd wrote model
    files before they recorded their network (and as other tools write them)."""
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    del header["__metadata__"]
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + raw[8 + length:])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_saved_relu_mlp_comes_back_as_relu(tmp_path, dtype):
    model = MLP([6, 5, 3], "relu", seed=1, dtype=dtype)
    path = tmp_path / "relu.safetensors"
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is assumed
        for loaded in (MLP.from_file(path), MLP.from_file(path, activation="relu")):
            assert (loaded.activation, loaded.sizes) == ("relu", [6, 5, 3])
            assert loaded.parameters()[0].array.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(loaded(X).array, model(X).array)
    message = r"^MLP\.from_file: activation='tanh' contradicts .*relu\.safetensors, which records relu"
    with pytest.raises(ValueError, match=message):
        MLP.from_file(path, activation="tanh")
    message = r"^MLP\.load: .*relu\.safetensors records activation relu, not tanh; MLP\.from_file"
    with pytest.raises(ValueError, match=message):
        MLP([6, 5, 3], "tanh", dtype=dtype).load(path)


@pytest.mark.parametrize("saved, model", [("float32", "float64"), ("float64", "float32")])
def test_a_file_of_the_other_dtype_is_refused_in_numpys_names(tmp_path, saved, model):
    path = tmp_path / "small.safetensors"
    MLP([6, 5, 3], seed=1, dtype=saved).save(path)
    message = rf"small\.safetensors: tensor `fc1\.weight` has dtype {saved}, expected {model}$"
    with pytest.raises(ValueError, match=message):
        MLP([6, 5, 3], dtype=model).load(path)


def test_a_file_without_metadata_is_read_as_before_with_a_warning(tmp_path):
    model = MLP([6, 5, 3], "relu", seed=1, dtype="float32")
    path = tmp_path / "old.safetensors"
    model.save(path)
    strip_metadata(path)
    message = (r"old\.safetensors does not record its architecture \(it has no ferrograd metadata\), "
               r"so it was read as 6-5-3 tanh float32; if it was trained with another activation, "
               r"pass MLP\.from_file\(path, activation=\.\.\.\)$")
    with pytest.warns(UserWarning, match=message):
        assert MLP.from_file(path).activation == "tanh"
    with pytest.warns(UserWarning, match=r"so it was read as 6-5-3 relu float32$"):
        loaded = MLP.from_file(path, activation="relu")
    np.testing.assert_array_equal(loaded(X).array, model(X).array)
    # Into an MLP, as before: there is nothing to check its activation against.
    MLP([6, 5, 3], "sigmoid", dtype="float32").load(path)


def test_a_relu_model_trained_by_the_cli_is_read_as_relu(mnist_dir, tmp_path, ferrograd_cli):
    out = tmp_path / "run"
    run = subprocess.run([ferrograd_cli, "train", "--activation", "relu", "--epochs", "1",
                          "--hidden", "32", "--layers", "1", "--data", mnist_dir, "--out", out],
                         capture_output=True, text=True, check=True)
    cli_accuracy = re.search(r"Final Test Accuracy: ([0-9.]+)%", run.stdout).group(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = MLP.from_file(out / "model.safetensors")
    assert (model.activation, model.sizes) == ("relu", [784, 32, 10])
    _, (x_test, y_test) = ferrograd.data.load_mnist(mnist_dir)
    pixels = x_test.astype(np.float32) / np.float32(255)  # as the CLI scales them
    predicted = model(pixels).array.argmax(axis=1)
    assert f"{100 * (predicted == y_test).mean():.2f}" == cli_accuracy

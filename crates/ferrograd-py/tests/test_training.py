"""Training on MNIST: the original notebook's loop written in Python on ferrograd.Tensor, and the
library's own nn.MLP with optim.SGD; memory stays flat over thousands of steps."""

import gzip
import os
import pathlib
import subprocess
from types import SimpleNamespace

import numpy as np
import pytest

import ferrograd
import ferrograd.grade
from ferrograd import Tensor


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(data[3])]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * data[3]).reshape(shape)


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    x_train = idx(mnist_dir / "train-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0
    y_train = idx(mnist_dir / "train-labels-idx1-ubyte.gz").astype(np.int64)
    x_test = idx(mnist_dir / "t10k-images-idx3-ubyte.gz").reshape(-1, 784)[:5000] / 255.0
    y_test = idx(mnist_dir / "t10k-labels-idx1-ubyte.gz").astype(np.int64)[:5000]
    return x_train, y_train, x_test, y_test


def notebook(tensor_class):
    """The original notebook's model and training loop (``ferrograd/grade/notebook.py``, which the
    grader also runs), written against ``tensor_class``."""
    scope = {"Tensor": tensor_class}
    exec(NOTEBOOK, scope)
    return SimpleNamespace(**scope)


NOTEBOOK = (pathlib.Path(ferrograd.grade.__file__).parent / "notebook.py").read_text()
nb = notebook(Tensor)


def accuracy(logits, labels):
    return 100 * np.mean(np.argmax(logits, axis=1) == labels)


def test_the_notebooks_loop_reaches_95_percent_in_5_epochs(mnist):
    x_train, y_train, x_test, y_test = mnist
    np.random.seed(0)
    model = nb.MLP()
    opt = nb.SGD(model.parameters(), lr=0.1)
    accuracies = []
    for epoch in range(5):
        nb.train_epoch(model, opt, x_train, y_train)
        accuracies.append(100 * np.mean(nb.predict(model, x_test) == y_test))
    print("test accuracy per epoch:", accuracies)
    assert accuracies[-1] >= 95.0, accuracies


def test_the_first_steps_agree_with_the_numpy_original(mnist, original):
    """Same initial weights, same batches: the NumPy original and ferrograd give the same losses
    and weights to 1e-12 (float64 sums in a different order differ in the last bits only)."""
    x_train, y_train, _, _ = mnist
    engines = {}
    for name, T in [("ferrograd", Tensor), ("numpy", original.Tensor)]:
        np.random.seed(1)
        engine = notebook(T)
        model = engine.MLP()
        opt = engine.SGD(model.parameters(), lr=0.1)
        losses = [float(engine.step(model, opt, x_train[i:i + 32], y_train[i:i + 32]).array) for i in range(0, 20 * 32, 32)]
        engines[name] = (losses, [np.array(p.array) for p in model.parameters()])
    np.testing.assert_allclose(engines["ferrograd"][0], engines["numpy"][0], rtol=1e-12)
    for ours, theirs in zip(engines["ferrograd"][1], engines["numpy"][1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_nn_mlp_with_optim_sgd_learns_and_round_trips_through_safetensors(mnist, tmp_path):
    x_train, y_train, x_test, y_test = mnist
    model = ferrograd.nn.MLP([784, 64, 10], "tanh", seed=3, dtype="float32")
    opt = ferrograd.optim.SGD(model.parameters(), lr=0.1)
    for i in range(0, 300 * 32, 32):
        loss = ferrograd.nn.cross_entropy(model(x_train[i:i + 32]), y_train[i:i + 32])
        opt.zero_grad()
        loss.backward()
        opt.step()
    acc = accuracy(model(x_test).array, y_test)
    assert acc >= 85.0, acc
    path = tmp_path / "model.safetensors"
    model.save(path)
    loaded = ferrograd.nn.MLP.from_file(path)
    assert loaded.sizes == [784, 64, 10] and loaded.activation == "tanh"
    np.testing.assert_array_equal(loaded(x_test[:100]).array, model(x_test[:100]).array)
    names = [name for name, _ in loaded.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


def test_the_clis_eval_reads_a_model_saved_from_python(mnist, mnist_dir, tmp_path, ferrograd_cli):
    x_train, y_train, _, _ = mnist
    model = ferrograd.nn.MLP([784, 32, 10], seed=0, dtype="float32")
    opt = ferrograd.optim.SGD(model.parameters(), lr=0.1)
    for i in range(0, 100 * 32, 32):
        opt.zero_grad()
        ferrograd.nn.cross_entropy(model(x_train[i:i + 32]), y_train[i:i + 32]).backward()
        opt.step()
    x_test = idx(mnist_dir / "t10k-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0
    y_test = idx(mnist_dir / "t10k-labels-idx1-ubyte.gz")
    ours = accuracy(model(x_test).array, y_test)
    path = tmp_path / "model.safetensors"
    model.save(path)
    out = subprocess.run([ferrograd_cli, "eval", "--model", path, "--data", mnist_dir],
                         capture_output=True, text=True, check=True)
    assert f"Test Acc: {ours:.2f}% |" in out.stdout, (ours, out.stdout)


def test_adam_minimises_a_quadratic():
    x = Tensor([0.0, 10.0], requires_grad=True)
    opt = ferrograd.optim.Adam([x], lr=0.1)
    for _ in range(500):
        opt.zero_grad()
        ((x - 3.0) * (x - 3.0)).sum().backward()
        opt.step()
    np.testing.assert_allclose(x.array, [3.0, 3.0], atol=1e-2)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_memory_stays_flat_over_thousands_of_steps(mnist):
    x_train, y_train, _, _ = mnist
    np.random.seed(0)
    model = nb.MLP()
    opt = nb.SGD(model.parameters(), lr=0.1)

    def steps(n, start):
        for k in range(start, start + n):
            i = (k * 32) % (len(x_train) - 32)
            nb.step(model, opt, x_train[i:i + 32], y_train[i:i + 32])

    steps(300, 0)
    tensors, rss = ferrograd.live_tensors(), rss_bytes()
    steps(3000, 300)
    assert ferrograd.live_tensors() == tensors
    grown = rss_bytes() - rss
    # One leaked 32x256 float64 array per step would be 190 MB here.
    assert grown < 16 << 20, f"RSS grew by {grown / 2**20:.1f} MiB over 3000 steps"

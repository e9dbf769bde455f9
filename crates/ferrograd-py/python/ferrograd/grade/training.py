"""The optional training test: the original notebook's MLP (``notebook.py``: 784-256-256-10, tanh,
a stable softmax and cross-entropy written from the submission's own operations, SGD at lr 0.1,
batch 32) trained with the submission's ``Tensor`` on a subset of MNIST, in the submission's
process and within its time limit. The child sends back its predictions on test images whose labels it never sees; the
accuracy is computed here."""

import os
import time
from pathlib import Path
from typing import Optional

import numpy as np

from .catalogue import GradingTest
from .grading import Result
from .sandbox import Ended, Hung, ImportFailed, Sandbox, checked_error
from .judge import error_text

TRAIN_IMAGES = 20_000
TEST_IMAGES = 2_000
PASS_ACCURACY = 85.0
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

NOTEBOOK = Path(__file__).with_name("notebook.py").read_text() + """
np.random.seed(settings["seed"])
model = MLP()
train_epoch(model, SGD(model.parameters(), lr=0.1), x_train, y_train)
predictions = predict(model, x_test)
"""


def find_mnist(folder: Optional[str]) -> Optional[Path]:
    """``folder``, else ``$MNIST_DIR``, when it holds the four MNIST files; never downloads."""
    for candidate in (folder, os.environ.get("MNIST_DIR")):
        if candidate and all((Path(candidate) / name).is_file() for name in FILES):
            return Path(candidate)
    return None


def training_test(seconds: float) -> GradingTest:
    return GradingTest(
        f"training: the notebook's MLP, one epoch on {TRAIN_IMAGES:,} MNIST images, "
        f"reaches {PASS_ACCURACY:g}% on {TEST_IMAGES:,} test images within {seconds:g} s",
        (),
        points=5.0,
    )


def run_training(test: GradingTest, sandbox: Sandbox, data: Path, seconds: float, seed: int) -> Result:
    """Trains in a fresh process of the submission's and scores its predictions here."""
    import ferrograd.data

    start = time.monotonic()
    (x_train, y_train), (x_test, y_test) = ferrograd.data.load_mnist(str(data))
    rng = np.random.default_rng(seed)
    subset = rng.permutation(len(x_train))[:TRAIN_IMAGES]
    try:
        worker = sandbox.start()
    except ImportFailed as failure:
        return Result(test, 0.0, "the submission does not import: " + error_text(failure.error), seconds=time.monotonic() - start)
    try:
        files = {}
        for name, array in (("x_train", x_train[subset] / 255.0), ("y_train", y_train[subset]), ("x_test", x_test[:TEST_IMAGES] / 255.0)):
            files[name] = str(worker.folder / f"{name}.npy")
            np.save(files[name], array)
            os.chmod(files[name], 0o644)
        answer = worker.request(dict(kind="train", program=NOTEBOOK, settings={"seed": seed}, **files), timeout=seconds)
    except Hung:
        return Result(test, 0.0, f"timed out after {seconds:g} s", seconds=time.monotonic() - start)
    except Ended as error:
        return Result(test, 0.0, f"the submission's process ended while training: {error}", seconds=time.monotonic() - start)
    finally:
        worker.close()
    elapsed = time.monotonic() - start
    if "error" in answer:
        return Result(test, 0.0, "training raised " + error_text(checked_error(answer["error"])), seconds=elapsed)
    predictions = answer.get("predictions")
    if not (isinstance(predictions, list) and len(predictions) == TEST_IMAGES and all(type(p) is int for p in predictions)):
        return Result(test, 0.0, "the submission's process sent predictions the grader cannot read", seconds=elapsed)
    accuracy = 100.0 * float(np.mean(np.array(predictions) == y_test[:TEST_IMAGES]))
    if accuracy < PASS_ACCURACY:
        return Result(test, 0.0, f"reached {accuracy:.2f}% test accuracy, below {PASS_ACCURACY:g}%", seconds=elapsed)
    result = Result(test, test.points, seconds=elapsed)
    result.notes.append(f"{accuracy:.2f}% test accuracy in {elapsed:.1f} s")
    return result

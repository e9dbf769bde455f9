"""Type stubs for ferrograd.data."""

from os import PathLike
from typing import Optional, Tuple, Union

import numpy as np

def load_mnist(
    dir: Optional[Union[str, PathLike]] = None,
) -> Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]:
    """``((x_train, y_train), (x_test, y_test))``: uint8 images of shape ``(n, 784)`` and int64
    labels, from ``dir``, else ``$MNIST_DIR``, else the cache folder (downloaded and verified
    there as ``ferrograd train`` does). Raises ``OSError`` naming what is missing when the data
    cannot be found, downloaded or read."""

"""ferrograd.nn: ``Linear``, ``MLP``, ``cross_entropy`` and ``mse`` from the Rust library.

``MLP.save(path)`` writes a safetensors file that ``ferrograd eval --model`` reads, and
``MLP.from_file(path)`` builds the network a ``model.safetensors`` of ``ferrograd train``
records (its sizes, activation and dtype).
"""

from ._ferrograd import MLP, Linear, cross_entropy, mse

__all__ = ["Linear", "MLP", "cross_entropy", "mse"]

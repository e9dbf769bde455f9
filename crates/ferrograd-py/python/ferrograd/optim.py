"""ferrograd.optim: ``SGD`` and ``Adam`` from the Rust library, updating tensors in place."""

from ._ferrograd import SGD, Adam

__all__ = ["SGD", "Adam"]

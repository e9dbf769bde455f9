"""ferrograd.data: ``load_mnist(dir=None)``, finding the files as ``ferrograd train`` does."""

from ._ferrograd import load_mnist

__all__ = ["load_mnist"]

"""ferrograd.grade: the original assignment's autograder, with ferrograd's engine as the oracle.

``python -m ferrograd.grade submitted.py [--json results.json] [--visible] [--seed N]`` grades a
student's NumPy ``Tensor`` (``broadcast_grad_accumulate``, ``+ - * / @``, ``log``, ``exp``,
``sum``, ``max``, ``backward``) in a process of its own: the notebook's worked examples (visible),
property tests over random shapes and values (hidden), each failure reported with the smallest
case that shows it, as a snippet to run.
"""

from .cli import main

__all__ = ["main"]

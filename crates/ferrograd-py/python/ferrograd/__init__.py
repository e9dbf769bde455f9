"""ferrograd: the original autograd assignment's ``Tensor`` on a compiled Rust engine.

``from ferrograd import *`` gives exactly the original ``submitted.py``'s names: ``Tensor``,
``ensure_tensor``, ``add``, ``sub``, ``mul``, ``div``, ``matmul``, ``log``, ``exp``, ``sum``,
``max`` and ``broadcast_grad_accumulate``. Tensors hold float64 by default (``dtype="float32"``
selects float32) and record the operations that made them; ``backward()`` fills ``.grad`` on every
tensor that requires grad.

Beyond the original: ``tanh``, ``relu``, ``sigmoid``, ``softmax``, ``log_softmax``, ``mean``,
``no_grad()``, ``Tensor.detach()``, ``Tensor.to_dot()``, ``ferrograd.nn`` (``Linear``, ``MLP``,
``cross_entropy``), ``ferrograd.optim`` (``SGD``, ``Adam``), ``ferrograd.data.load_mnist`` and
``ferrograd.gradcheck``.
"""

from ._ferrograd import (
    GradFn,
    Tensor,
    add,
    broadcast_grad_accumulate,
    div,
    ensure_tensor,
    exp,
    gradcheck,
    GradcheckReport,
    is_grad_enabled,
    live_tensors,
    log,
    log_softmax,
    matmul,
    max,
    mean,
    mul,
    no_grad,
    num_threads,
    relu,
    set_num_threads,
    sigmoid,
    softmax,
    sub,
    sum,
    tanh,
)
from . import data, nn, optim

__all__ = [
    "Tensor",
    "ensure_tensor",
    "add",
    "sub",
    "mul",
    "div",
    "matmul",
    "log",
    "exp",
    "sum",
    "max",
    "broadcast_grad_accumulate",
]

"""Type stubs for ferrograd.optim."""

from typing import Iterable, Tuple

from . import Tensor

class SGD:
    """``p -= lr * (g + weight_decay * p)``, with momentum when ``momentum > 0``."""

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None: ...
    def step(self) -> None: ...
    def zero_grad(self) -> None: ...

class Adam:
    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.001,
        betas: Tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None: ...
    def step(self) -> None: ...
    def zero_grad(self) -> None: ...

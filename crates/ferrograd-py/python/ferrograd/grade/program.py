"""A grading case as a small program over the assignment's API: statements a student could type
(``a = Tensor(...)``, ``out = a - b``, ``out.grad_fn(g)``), then the expressions to read back
(``b.grad``). The same text runs in the submission's process and, in this one, on ferrograd's
engine for the expected values; printed with its imports it is a runnable snippet."""

import functools
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

import ferrograd


@dataclass(frozen=True)
class Ties:
    """How ``max`` may share its gradient among tied maxima: ``source`` is the tensor reduced,
    ``upstream`` the name of the gradient passed back (``None`` for ``backward()``'s ones)."""

    source: str
    axis: Optional[int]
    keepdims: bool
    upstream: Optional[str]


@dataclass(frozen=True)
class Check:
    """An expression read back after the statements. ``kind`` says how it is compared: ``array``
    (numbers, within a tolerance), ``text`` (exactly) or ``ties`` (a max gradient under a rule)."""

    expr: str
    kind: str = "array"
    ties: Optional[Ties] = None


@dataclass(frozen=True)
class Program:
    """Statements run in order, then checks read back."""

    lines: Tuple[str, ...]
    checks: Tuple[Check, ...]

    def snippet(self, module: str = "submitted") -> str:
        """The program as a script a student can paste and run beside their file."""
        names = ["Tensor"] + [n for n in ("broadcast_grad_accumulate",) if any(n in line for line in self.lines)]
        head = ["import numpy as np", f"from {module} import {', '.join(names)}", ""]
        return "\n".join(head + list(self.lines) + [f"print({check.expr})" for check in self.checks])

    def size(self) -> int:
        """How big the program reads: the smaller of two failing cases is the one to report."""
        return sum(len(line) for line in self.lines) + sum(len(check.expr) for check in self.checks)


def literal(values) -> str:
    """Python source for an array: ``np.array([[0.5, -1.25]])``; floats print as their shortest
    round-trip form, so the snippet reproduces the exact values."""
    array = np.asarray(values, dtype=np.float64)
    return f"np.array({array.tolist()!r})"


def number(value: float) -> str:
    """Python source for a plain number."""
    return repr(float(value))


REFERENCE_NAMES = {
    "np": np,
    "Tensor": ferrograd.Tensor,
    "broadcast_grad_accumulate": ferrograd.broadcast_grad_accumulate,
}


@functools.lru_cache(maxsize=4096)
def compiled(source: str, mode: str):
    """``source`` compiled once: shrinking runs the same lines many times."""
    return compile(source, "<grading case>", mode)


def expected_values(program: Program) -> list:
    """Runs the program on ferrograd's engine in float64: each check's value, as an ``ndarray``
    for numbers or a ``str``; for a ``ties`` check, the tensor reduced and the upstream gradient
    too. A failure here is the grader's bug, so it raises."""
    scope = dict(REFERENCE_NAMES)
    for line in program.lines:
        exec(compiled(line, "exec"), scope)
    values = []
    for check in program.checks:
        value = eval(compiled(check.expr, "eval"), scope)
        if check.kind == "text":
            values.append(str(value))
            continue
        value = np.array(value, dtype=np.float64)
        if check.kind == "ties":
            source = np.array(scope[check.ties.source].array, dtype=np.float64)
            upstream = None if check.ties.upstream is None else np.array(scope[check.ties.upstream], dtype=np.float64)
            value = (value, source, upstream)
        values.append(value)
    return values

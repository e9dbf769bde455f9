"""The grading tests: each has a name that starts with the operation under test, its points, its
visibility, and either fixed cases (the notebook's worked examples, visible to students) or a
Hypothesis strategy that generates cases (the hidden property tests)."""

from dataclasses import dataclass
from typing import Tuple, Union

from hypothesis.strategies import SearchStrategy

from .program import Program

OPERATIONS = (
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
    "backward",
    "repr",
    "training",
)


@dataclass(frozen=True)
class GradingTest:
    """One line of the grade."""

    name: str
    cases: Union[Tuple[Program, ...], SearchStrategy]
    visible: bool = False
    points: float = 1.0

    @property
    def operation(self) -> str:
        return self.name.split(":", 1)[0]


def catalogue(visible_only: bool = False) -> Tuple[GradingTest, ...]:
    """Every test, visible ones first, each group in the order of ``OPERATIONS``."""
    from .examples import worked_examples
    from .properties import property_tests

    tests = [GradingTest(name, cases, visible=True) for name, cases in worked_examples()]
    if not visible_only:
        tests += [GradingTest(name, strategy) for name, strategy in property_tests()]
    order = {operation: index for index, operation in enumerate(OPERATIONS)}
    return tuple(sorted(tests, key=lambda test: (not test.visible, order[test.operation])))

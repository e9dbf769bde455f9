"""Running one grading test: each case goes to the submission's process, comes back as data, and
is judged here against ferrograd's values. A hidden test searches for a failing case with
Hypothesis and shrinks the first one it finds to the smallest, which the report prints."""

import math
import random
import time
import zlib
from dataclasses import dataclass, field
from typing import Optional, Sequence

from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis.errors import NoSuchExample

from .catalogue import GradingTest
from .judge import TIE_RULES, error_text, judge
from .program import Program, expected_values
from .sandbox import Ended, Hung, ImportFailed, Sandbox, Worker, checked_error

MAX_ELEMENTS = 100_000


@dataclass
class Options:
    """How the tests are run."""

    seed: int = 0
    examples: int = 30  # generated cases per hidden test
    shrink_seconds: float = 10.0  # time to shrink a failing case, after which the smallest so far is reported
    tie_rules: Sequence[str] = TIE_RULES


@dataclass
class Result:
    """A test's outcome: ``reason`` is empty when it passed."""

    test: GradingTest
    score: float
    reason: str = ""
    case: Optional[Program] = None
    seconds: float = 0.0
    notes: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.reason


class Unreadable(Exception):
    """An answer that does not have the shape the protocol gives it."""


def checked_value(value) -> dict:
    """One value from the submission's process, validated: text, None, an error, or an array of
    at most ``MAX_ELEMENTS`` numbers whose count matches its shape."""
    if not isinstance(value, dict) or len(value) != (2 if "shape" in value else 1):
        raise Unreadable()
    if "text" in value and isinstance(value["text"], str):
        return value
    if "none" in value:
        return {"none": True}
    if "error" in value:
        return {"error": checked_error(value["error"])}
    shape, data = value.get("shape"), value.get("data")
    if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape) and isinstance(data, list)):
        raise Unreadable()
    if len(data) > MAX_ELEMENTS or math.prod(shape) != len(data) or not all(type(x) in (int, float) for x in data):
        raise Unreadable()
    return value


class Runner:
    """Runs the cases of one test against a worker, restarting it when the submission's process
    ends, and remembers the smallest failing case."""

    def __init__(self, sandbox: Sandbox, options: Options):
        self.sandbox, self.options = sandbox, options
        self.worker: Optional[Worker] = None
        self.smallest: Optional[Program] = None
        self.reasons = {}
        self.restarts = 0  # cases that ended the submission's process

    def fails(self, program: Program) -> bool:
        """Whether the submission gets ``program`` wrong; a timeout propagates as ``Hung``."""
        reason = self.reason(program)
        if reason:
            self.reasons[program] = reason
            if self.smallest is None or program.size() < self.smallest.size():
                self.smallest = program
        return bool(reason)

    def reason(self, program: Program) -> str:
        expected = expected_values(program)
        if self.worker is None:
            try:
                self.worker = self.sandbox.start()
            except ImportFailed as failure:  # it imported before: e.g. it reads a file it wrote
                self.restarts += 1
                return "the submission did not import for this case: " + error_text(failure.error)
        try:
            answer = self.worker.request(
                {"kind": "run", "lines": list(program.lines), "checks": [c.expr for c in program.checks]}
            )
        except Hung:
            self.close()
            raise Hung(program)
        except Ended as error:
            self.worker = None
            self.restarts += 1
            return f"the submission's process ended during this case: {error}"
        try:
            if "failed_line" in answer:
                index = answer["failed_line"]
                if type(index) is not int or not 0 <= index < len(program.lines):
                    raise Unreadable()
                return f"`{program.lines[index]}` raised {error_text(checked_error(answer['error']))}"
            values = answer.get("values")
            if not isinstance(values, list) or len(values) != len(program.checks):
                raise Unreadable()
            for check, want, got in zip(program.checks, expected, values):
                verdict = judge(check, want, checked_value(got), self.options.tie_rules)
                if verdict:
                    return f"`{check.expr}`: {verdict}"
        except Unreadable:
            self.close()
            return "the submission's process sent an answer the grader cannot read"
        return ""

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None


class OutOfTime(Exception):
    """Shrinking took its time, or keeps ending the submission's process (each case then costs a
    new process); the smallest failing case so far is reported."""


MAX_RESTARTS = 3


def run_test(test: GradingTest, sandbox: Sandbox, options: Options) -> Result:
    """Grades one test in a fresh process of the submission's."""
    start = time.monotonic()
    runner = Runner(sandbox, options)
    try:
        if isinstance(test.cases, tuple):
            for program in test.cases:
                if runner.fails(program):
                    break
        else:
            search(test, runner, options)
    except Hung as hung:
        program = hung.args[0] if hung.args else None
        return Result(test, 0.0, f"timed out after {sandbox.limits.timeout:g} s", program, time.monotonic() - start)
    finally:
        runner.close()
    seconds = time.monotonic() - start
    if runner.smallest is None:
        return Result(test, test.points, seconds=seconds)
    return Result(test, 0.0, runner.reasons[runner.smallest], runner.smallest, seconds)


def search(test: GradingTest, runner: Runner, options: Options) -> None:
    """Hypothesis looks for a failing case among ``options.examples`` and shrinks it; the runner
    keeps the smallest (Hypothesis's, or the smallest seen when shrinking ran out of time)."""
    deadline = []

    def condition(program: Program) -> bool:
        failed = runner.fails(program)
        if failed and not deadline:
            deadline.append(time.monotonic() + options.shrink_seconds)
        if deadline and (time.monotonic() > deadline[0] or runner.restarts >= MAX_RESTARTS):
            raise OutOfTime()
        return failed

    seed = zlib.crc32(f"{options.seed}:{test.name}".encode())
    try:
        runner.smallest = find(
            test.cases,
            condition,
            settings=settings(
                max_examples=options.examples,
                database=None,
                deadline=None,
                phases=(Phase.generate, Phase.shrink),
                suppress_health_check=list(HealthCheck),
                verbosity=Verbosity.quiet,
            ),
            random=random.Random(seed),
        )
    except (NoSuchExample, OutOfTime):
        pass

"""``python -m ferrograd.grade SUBMITTED.py`` (also ``ferrograd-grade``): the command.

Exit status 0 when it graded, whatever the score; 2, with one line on stderr, when it cannot start.
"""

import argparse
import sys
import time
from pathlib import Path

from .catalogue import catalogue
from .grading import Options, Result, run_test
from .judge import TIE_RULES, error_text
from .report import VISIBILITIES, failures, gradescope, row, summary, write_atomically
from .sandbox import Broken, ImportFailed, Limits, Sandbox, guard_grader
from .training import find_mnist, run_training, training_test


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="ferrograd-grade",
        description="Grade a student's submitted.py (the original assignment's NumPy Tensor) against "
        "ferrograd's engine: the notebook's worked examples (visible) and property tests over random "
        "shapes and values (hidden), each failure shown with its smallest case.",
    )
    p.add_argument("submission", metavar="SUBMITTED.py", help="the student's file")
    p.add_argument("--json", metavar="RESULTS.json", type=Path, help="also write Gradescope's results.json here")
    p.add_argument("--visible", action="store_true", help="run only the visible tests (the student's grade.py)")
    p.add_argument("--seed", type=int, default=0, help="seed of the hidden tests' cases (default 0)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS", help="time for one case (default 5)")
    p.add_argument("--memory", type=int, default=1024, metavar="MB", help="address space of the submission's process (default 1024)")
    p.add_argument("--data", metavar="DIR", help="MNIST folder for the training test (default $MNIST_DIR; without it, no training test)")
    p.add_argument("--training-timeout", type=float, default=120.0, metavar="SECONDS", help="time for the training test (default 120)")
    p.add_argument("--examples", type=int, default=30, metavar="N", help="generated cases per hidden test (default 30)")
    p.add_argument("--ties", choices=("any",) + TIE_RULES, default="any",
                   help="how max may share its gradient among tied maxima (default any: every, first or split)")
    p.add_argument("--hidden-visibility", choices=VISIBILITIES, default="after_due_date",
                   help="Gradescope visibility of the hidden tests (default after_due_date)")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    submission = Path(args.submission)
    if not submission.is_file():
        return cannot_start(f"no such file: {submission}")
    if args.json is not None and not args.json.parent.is_dir():
        return cannot_start(f"the folder for {args.json} does not exist")
    if args.timeout <= 0 or args.memory < 64 or args.examples < 1 or args.training_timeout <= 0:
        return cannot_start("--timeout and --training-timeout must be above 0, --memory at least 64, --examples at least 1")
    started = time.monotonic()
    guard_grader()
    sandbox = Sandbox(submission.resolve(), Limits(timeout=args.timeout, memory_mb=args.memory))
    print(f"Grading {submission} (seed {args.seed}{', visible tests only' if args.visible else ''})\n", flush=True)
    try:
        results, notes = grade(args, sandbox)
    except Broken as broken:
        return cannot_start(f"the grading environment is broken: {broken}")
    finally:
        sandbox.close()
    output = "\n".join(notes + [summary(results)])
    print("\n" + output)
    details = failures(results, submission.stem)
    if details:
        print("\n" + details)
    if args.json is not None:
        seconds = time.monotonic() - started
        write_atomically(args.json, gradescope(results, submission.stem, args.hidden_visibility, output, seconds))
    return 0


def grade(args, sandbox: Sandbox):
    """Runs every test, printing each line of the table as it is decided; returns the results
    and the notes for the report."""
    options = Options(seed=args.seed, examples=args.examples, tie_rules=TIE_RULES if args.ties == "any" else (args.ties,))
    tests = list(catalogue(visible_only=args.visible))
    data = None if args.visible else find_mnist(args.data)
    if data is not None:
        tests.append(training_test(args.training_timeout))
    try:
        sandbox.start().close()
        import_error = None
    except ImportFailed as failure:
        import_error = "the submission does not import: " + error_text(failure.error)
    results = []
    for test in tests:
        if import_error:
            result = Result(test, 0.0, import_error)
        elif test.operation == "training":
            result = run_training(test, sandbox, data, args.training_timeout, args.seed)
        else:
            result = run_test(test, sandbox, options)
        results.append(result)
        print(row(result), flush=True)
    notes = ([import_error] if import_error else []) + sandbox.notes + [note for r in results for note in r.notes]
    if not args.visible and data is None:
        notes.append("No training test: MNIST not found (pass --data DIR or set MNIST_DIR).")
    return results, notes


def cannot_start(message: str) -> int:
    print(f"ferrograd-grade: {message}", file=sys.stderr)
    return 2

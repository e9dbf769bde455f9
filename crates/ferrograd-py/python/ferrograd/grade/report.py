"""What the grade looks like: a table in the terminal, each failure with its smallest case as a
runnable snippet, and Gradescope's ``results.json``."""

import json
import os
import tempfile
import textwrap
from pathlib import Path
from typing import Sequence

from .grading import Result

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def points(value: float) -> str:
    return f"{value:g}"


def row(result: Result) -> str:
    """One line of the table: points, pass or FAIL, the test, and the first line of the reason."""
    mark = "pass" if result.passed else "FAIL"
    line = f"{points(result.score):>3}/{points(result.test.points):<3} {mark}  {result.test.name}"
    if not result.passed:
        line += f"\n{'':10}{result.reason.splitlines()[0]}"
    return line


def explanation(result: Result, module: str) -> str:
    """Why a test failed, with the smallest case that shows it as a script to run."""
    text = result.reason
    if result.case is not None:
        if result.reason.startswith("timed out"):
            label = "The case that did not finish:"
        else:
            label = "The case:" if result.test.visible else "The smallest failing case:"
        text += f"\n{label}\n" + textwrap.indent(result.case.snippet(module), "    ")
    return text


def summary(results: Sequence[Result]) -> str:
    total = sum(r.score for r in results)
    most = sum(r.test.points for r in results)
    parts = []
    for label, visible in (("visible", True), ("hidden", False)):
        group = [r for r in results if r.test.visible == visible]
        if group:
            parts.append(f"{label} {points(sum(r.score for r in group))}/{points(sum(r.test.points for r in group))}")
    return f"Score: {points(total)}/{points(most)} ({', '.join(parts)})"


def failures(results: Sequence[Result], module: str) -> str:
    failed = [r for r in results if not r.passed]
    if not failed:
        return ""
    blocks = [f"--- {r.test.name} ({points(r.score)}/{points(r.test.points)})\n{explanation(r, module)}" for r in failed]
    return "Failures, each with the smallest case that shows it:\n\n" + "\n\n".join(blocks)


def gradescope(results: Sequence[Result], module: str, hidden_visibility: str, output: str, seconds: float) -> dict:
    """Gradescope's autograder results: the score and one entry per test."""
    return {
        "score": sum(r.score for r in results),
        "execution_time": round(seconds),
        "output": output,
        "tests": [
            {
                "name": r.test.name,
                "score": r.score,
                "max_score": r.test.points,
                "output": "passed" if r.passed else explanation(r, module),
                "visibility": "visible" if r.test.visible else hidden_visibility,
            }
            for r in results
        ],
    }


def write_atomically(path: Path, data: dict) -> None:
    """Writes ``data`` as JSON to a temporary file beside ``path``, then renames it over ``path``:
    a reader sees the old file or the whole new one, never a mix."""
    handle = tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise

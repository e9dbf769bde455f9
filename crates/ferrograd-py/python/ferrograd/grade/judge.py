"""Comparing what the submission sent back with ferrograd's expected values.

Numbers pass within a relative tolerance of 1e-6 (a correct float64 solution written another way,
``-g * a / b**2`` or ``-(g * a) / (b * b)``, differs in the last bits only); shapes must match
exactly; text must match character for character. ``max`` at ties passes under any of the rules a
correct solution may follow — the gradient to every tied element (the original's), to the first,
or split equally — unless the course names one.
"""

from typing import Optional, Sequence

import numpy as np

from .program import Check

RTOL = 1e-6
TIE_RULES = ("every", "first", "split")


def show(array) -> str:
    """An array as ``print`` shows it (so a report reads like the snippet's output), on one line."""
    return " ".join(str(np.asarray(array, dtype=np.float64)).split())


def close(got: np.ndarray, expected: np.ndarray) -> bool:
    """Whether two arrays of one shape agree to ``RTOL``, relative to the expected array's scale."""
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    return bool(np.allclose(got, expected, rtol=RTOL, atol=RTOL * 1e-3 * scale))


def tie_gradients(source: np.ndarray, axis, keepdims: bool, upstream) -> dict:
    """The gradient of ``source.max(axis, keepdims)`` under each tie rule, for ``upstream``
    (ones of the result's shape when ``None``)."""
    tied = source == np.max(source, axis=axis, keepdims=True)
    result_shape = np.max(source, axis=axis, keepdims=keepdims).shape
    g = np.ones(result_shape) if upstream is None else np.broadcast_to(upstream, result_shape)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    g = np.broadcast_to(g, source.shape)
    first = np.zeros(source.shape, dtype=bool)
    if axis is None:
        first.flat[np.argmax(tied)] = True
    else:
        np.put_along_axis(first, np.expand_dims(np.argmax(tied, axis=axis), axis), True, axis=axis)
    counts = np.sum(tied, axis=axis, keepdims=True)
    return {"every": tied * g, "first": first * g, "split": tied * g / counts}


def differ(expected, got) -> str:
    """``expected X, got Y`` on one line, the whole arrays on the next two when that line would be
    long."""
    want, have = show(expected), show(got)
    if len(want) + len(have) <= 80:
        return f"expected {want}, got {have}"
    return f"wrong values\n  expected {want}\n  got      {have}"


def error_text(error: dict) -> str:
    """An exception the submission raised, with its line in the submission when known."""
    text = error["type"] + (f": {error['message']}" if error["message"] else "")
    where = error.get("where")
    if where:
        text += f"\n    at line {where['line']} of the submission: {where['code'].strip()}"
    return text


def describe(got: dict) -> str:
    """What kind of value an answer holds, for a report."""
    if "none" in got:
        return "None"
    if "text" in got:
        return f"the text {got['text']!r}"
    return f"an array of shape {tuple(got['shape'])}"


def judge(check: Check, expected, got: dict, tie_rules: Sequence[str] = TIE_RULES) -> Optional[str]:
    """``None`` when ``got`` (a validated answer) matches ``expected``, else why it does not."""
    if "error" in got:
        return "raised " + error_text(got["error"])
    if check.kind == "text":
        if "text" not in got:
            return f"expected the text {expected!r}, got {describe(got)}"
        if got["text"] != expected:
            return f"expected {expected!r}\n  got      {got['text']!r}" if "\n" in expected + got["text"] else f"expected {expected!r}, got {got['text']!r}"
        return None
    if "shape" not in got:
        return f"expected an array of shape {np.shape(expected if check.kind == 'array' else expected[0])}, got {describe(got)}"
    values = np.array(got["data"], dtype=np.float64).reshape(got["shape"])
    if check.kind == "ties":
        _, source, upstream = expected
        allowed = tie_gradients(source, check.ties.axis, check.ties.keepdims, upstream)
        if any(values.shape == allowed[rule].shape and close(values, allowed[rule]) for rule in tie_rules):
            return None
        rules = "\n  or       ".join(f"{show(allowed[rule])} ({rule})" for rule in tie_rules)
        return f"wrong values\n  expected {rules}\n  got      {show(values)}"
    if values.shape != expected.shape:
        return f"expected shape {expected.shape}, got shape {values.shape}\n  expected {show(expected)}\n  got      {show(values)}"
    if not close(values, expected):
        return differ(expected, values)
    return None

"""The grader's expected values, checked: every gradient it expects (computed by ferrograd's
engine) agrees with central finite differences of the forward pass, in float64, on the cases its
hidden tests generate; ``broadcast_grad_accumulate``'s expected values with NumPy's sums; and
the worked examples with the numbers the notebook prints."""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import ferrograd
from ferrograd.grade.examples import worked_examples
from ferrograd.grade.program import REFERENCE_NAMES, expected_values
from ferrograd.grade.properties import property_tests

EPS = 1e-6
LEAF = re.compile(r"^(\w+) = Tensor\(.*requires_grad=True\)$")


def forward_loss(program, leaf, delta):
    """Runs every statement but the last (the backward step) with ``leaf`` moved by ``delta``,
    and returns what the last statement differentiates: ``sum(out * g)`` for ``out.grad_fn(g)``,
    ``sum(h)`` for ``h.backward()``."""
    scope = dict(REFERENCE_NAMES)
    for line in program.lines[:-1]:
        exec(line, scope)
        match = LEAF.match(line)
        if match and match.group(1) == leaf:
            scope[leaf] = ferrograd.Tensor(scope[leaf].array + delta, requires_grad=True)
    target, call = program.lines[-1].split(".", 1)
    out = np.asarray(scope[target].array, dtype=np.float64)
    return float(np.sum(out * scope["g"])) if call.startswith("grad_fn") else float(np.sum(out))


def central_differences(program, leaf, shape):
    gradient = np.zeros(shape)
    for index in np.ndindex(*shape):
        delta = np.zeros(shape)
        delta[index] = EPS
        gradient[index] = (forward_loss(program, leaf, delta) - forward_loss(program, leaf, -delta)) / (2 * EPS)
    return gradient


GRADIENT_TESTS = [(name, strategy) for name, strategy in property_tests() if "grad_fn_name" not in name]


@pytest.mark.parametrize("name, strategy", GRADIENT_TESTS, ids=[name for name, _ in GRADIENT_TESTS])
def test_expected_gradients_match_central_differences(name, strategy):
    @settings(max_examples=12, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(program):
        last = program.lines[-1]
        checks = [c for c in program.checks if c.kind == "array" and c.expr.endswith(".grad")]
        if not checks or not (last.endswith(".grad_fn(g)") or last.endswith(".backward()")):
            return
        for check, expected in zip(program.checks, expected_values(program)):
            if check in checks:
                leaf = check.expr[: -len(".grad")]
                numeric = central_differences(program, leaf, expected.shape)
                np.testing.assert_allclose(expected, numeric, rtol=1e-5, atol=1e-6, err_msg=check.expr)

    check()


BROADCAST_TESTS = [(name, strategy) for name, strategy in property_tests() if name.startswith("broadcast_grad_accumulate")]


@pytest.mark.parametrize("name, strategy", BROADCAST_TESTS, ids=[name for name, _ in BROADCAST_TESTS])
def test_expected_broadcast_sums_are_numpys(name, strategy):
    @settings(max_examples=20, database=None, deadline=None)
    @given(strategy)
    def check(program):
        scope = dict(REFERENCE_NAMES)
        for line in program.lines:
            exec(line, scope)
        shape, g = scope["x"].shape, scope["g"]
        axes = tuple(i for i, (size, n) in enumerate(zip(shape, g.shape)) if size == 1 and n != 1)
        np.testing.assert_allclose(expected_values(program)[0], g.sum(axis=axes, keepdims=True), rtol=1e-14)

    check()


def test_the_worked_examples_expect_the_notebooks_numbers():
    expected = {name: cases[0] for name, cases in worked_examples()}
    for name, program in expected.items():
        printed = re.search(r"= (\[\[.*\]\]|\[.*\])", name)
        if printed:
            np.testing.assert_allclose(expected_values(program)[0], eval(printed.group(1)), rtol=1e-12)
    sigmoid = next(p for n, p in expected.items() if "sigmoid" in n)
    values, gradient = expected_values(sigmoid)
    s = 1 / (1 + np.exp(-np.array([[1.0, 2.0, 3.0], [6.0, 4.0, 0.0]])))
    np.testing.assert_allclose(values, s, rtol=1e-15)
    np.testing.assert_allclose(gradient, s * (1 - s), rtol=1e-12)
    printed_sum = next(p for n, p in expected.items() if n.startswith("repr:"))
    assert expected_values(printed_sum)[0] == (
        "tensor([[ 9.000  4.000  8.000]\n        [12.000  7.000 11.000]], grad_fn=<AddBackward>)"
    )

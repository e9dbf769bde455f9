"""The hidden tests: properties over random shapes and values, as Hypothesis strategies of
programs. A failing program is shrunk (smaller shapes, simpler values, fewer operations) before it
is reported.

Values are multiples of 0.01 in [-3, 3], so a snippet prints them exactly. Divisors stay at least
0.5 from zero and logarithms see values in [0.5, 3]. Values are distinct wherever ``max`` reduces
them, so only the test named for ties has ties. Broadcasting is the original's: operands of equal
rank whose sizes are equal or 1, and plain numbers on either side.
"""

import functools

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .program import Check, Program, Ties, literal, number

BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


@functools.lru_cache(maxsize=None)
def values(shape, low=-300, high=300, away=0, unique=False):
    """Arrays of ``shape`` holding multiples of 0.01 from ``low`` to ``high`` hundredths, at least
    ``away`` hundredths from zero. Hypothesis shrinks them toward 1.0, so a shrunk case has
    round numbers. (Strategies are immutable, so one per argument list is built and kept.)"""

    def hundredths(lowest, highest):  # k for the values (k + 100) / 100, which shrink toward k = 0
        return st.integers(lowest - 100, highest - 100)

    elements = hundredths(away, high) | hundredths(low, -away) if away else hundredths(low, high)
    return hnp.arrays(np.int64, shape, elements=elements, unique=unique).map(lambda a: (a + 100) / 100)


def plain_numbers(away=0):
    """A plain Python number, at least ``away`` hundredths from zero."""
    return values((), away=away).map(float)


def shapes(min_dims=1, max_dims=3):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=4)


def tensor(name, array, requires_grad=True):
    return f"{name} = Tensor({literal(array)}, requires_grad={requires_grad})"


def upstream(array):
    return f"g = {literal(array)}"


@st.composite
def broadcast_shapes(draw, side):
    """Shapes ``(a, b)`` of equal rank where ``side`` (``left``, ``right`` or ``both``) has size-1
    axes that the other operand's sizes stretch."""
    full = draw(shapes().filter(lambda s: sum(d > 1 for d in s) >= (2 if side == "both" else 1)))
    wide = [axis for axis, size in enumerate(full) if size > 1]
    owners = draw(st.lists(st.sampled_from(["a", "b", "-"]), min_size=len(wide), max_size=len(wide)).filter(
        lambda o: ("a" in o or side == "right") and ("b" in o or side == "left")
        and (side == "both" or ("b" if side == "left" else "a") not in o)))
    a, b = list(full), list(full)
    for axis, owner in zip(wide, owners):
        if owner == "a":
            a[axis] = 1
        elif owner == "b":
            b[axis] = 1
    return tuple(a), tuple(b)


def binary_tests(op, symbol):
    """Forward values, gradients through ``grad_fn`` and ``backward()``, broadcasting on either
    side, plain numbers on either side, one tensor on both sides, and the ``grad_fn_name``."""
    away = 50 if op == "div" else 0

    @st.composite
    def forward(draw):
        shape = draw(shapes(min_dims=0))
        a, b = draw(values(shape)), draw(values(shape, away=away))
        lines = (tensor("a", a, draw(st.booleans())), tensor("b", b, draw(st.booleans())), f"out = a {symbol} b")
        return Program(lines, (Check("out.array"),))

    @st.composite
    def through_grad_fn(draw, shape_pair=None):
        shape_a, shape_b = draw(shape_pair) if shape_pair is not None else (draw(shapes(min_dims=0)),) * 2
        a, b = draw(values(shape_a)), draw(values(shape_b, away=away))
        out_shape = np.broadcast_shapes(shape_a, shape_b)
        lines = (tensor("a", a), tensor("b", b), f"out = a {symbol} b", upstream(draw(values(out_shape))), "out.grad_fn(g)")
        checks = (Check("out.array"),) if shape_pair is not None else ()
        return Program(lines, checks + (Check("a.grad"), Check("b.grad")))

    @st.composite
    def through_backward(draw):
        shape = draw(shapes(min_dims=0))
        lines = (tensor("a", draw(values(shape))), tensor("b", draw(values(shape, away=away))),
                 f"out = a {symbol} b", "out.backward()")
        return Program(lines, (Check("a.grad"), Check("b.grad")))

    @st.composite
    def number_on(draw, side):
        shape = draw(shapes(min_dims=0))
        if side == "left":
            c, t = number(draw(plain_numbers())), draw(values(shape, away=away))
            expression, name = f"{c} {symbol} b", "b"
        else:
            c, t = number(draw(plain_numbers(away=away))), draw(values(shape))
            expression, name = f"a {symbol} {c}", "a"
        lines = (tensor(name, t), f"out = {expression}", upstream(draw(values(shape))), "out.grad_fn(g)")
        return Program(lines, (Check("out.array"), Check(f"{name}.grad")))

    @st.composite
    def same_tensor(draw):
        shape = draw(shapes(min_dims=0))
        lines = (tensor("a", draw(values(shape, away=away))), f"out = a {symbol} a",
                 upstream(draw(values(shape))), "out.grad_fn(g)")
        return Program(lines, (Check("a.grad"),))

    @st.composite
    def name(draw):
        shape = draw(shapes(min_dims=0))
        lines = (tensor("a", draw(values(shape))), tensor("b", draw(values(shape, away=away))), f"out = a {symbol} b")
        return Program(lines, (Check("out.grad_fn_name", "text"),))

    yield f"{op}: forward values", forward()
    yield f"{op}: grad_fn with a non-uniform upstream gradient", through_grad_fn()
    yield f"{op}: backward()", through_backward()
    yield f"{op}: broadcasting the left operand over size-1 axes", through_grad_fn(broadcast_shapes("left"))
    yield f"{op}: broadcasting the right operand over size-1 axes", through_grad_fn(broadcast_shapes("right"))
    yield f"{op}: broadcasting both operands", through_grad_fn(broadcast_shapes("both"))
    yield f"{op}: a plain number on the left", number_on("left")
    yield f"{op}: a plain number on the right", number_on("right")
    yield f"{op}: one tensor on both sides (gradients accumulate)", same_tensor()
    yield f"{op}: grad_fn_name", name()


def matmul_tests():
    """Products of square matrices (both n × n) and of non-square ones (neither square), forward
    and both gradients; ``a @ a``; the name."""
    sides = st.integers(1, 4)
    non_square = st.tuples(sides, sides, sides).filter(lambda nkm: nkm[0] != nkm[1] != nkm[2])
    square = st.integers(2, 4).map(lambda n: (n, n, n))

    @st.composite
    def product(draw, sizes, gradient):
        n, k, m = draw(sizes)
        lines = (tensor("a", draw(values((n, k)))), tensor("b", draw(values((k, m)))), "out = a @ b")
        if gradient == "grad_fn":
            return Program(lines + (upstream(draw(values((n, m)))), "out.grad_fn(g)"), (Check("a.grad"), Check("b.grad")))
        if gradient == "backward":
            return Program(lines + ("out.backward()",), (Check("a.grad"), Check("b.grad")))
        return Program(lines, (Check("out.array"),) if gradient is None else (Check("out.grad_fn_name", "text"),))

    @st.composite
    def same_matrix(draw):
        n = draw(st.integers(2, 4))
        lines = (tensor("a", draw(values((n, n)))), "out = a @ a", upstream(draw(values((n, n)))), "out.grad_fn(g)")
        return Program(lines, (Check("a.grad"),))

    any_sizes = st.tuples(sides, sides, sides)
    yield "matmul: forward values, non-square matrices", product(non_square, None)
    yield "matmul: forward values, square matrices", product(square, None)
    yield "matmul: grad_fn with a non-uniform upstream gradient, non-square matrices", product(non_square, "grad_fn")
    yield "matmul: grad_fn with a non-uniform upstream gradient, square matrices", product(square, "grad_fn")
    yield "matmul: backward()", product(any_sizes, "backward")
    yield "matmul: one matrix on both sides, a @ a (gradients accumulate)", same_matrix()
    yield "matmul: grad_fn_name", product(any_sizes, "name")


def unary_tests(op, low, high):
    """Forward values, ``grad_fn``, ``backward()`` and the name of ``log`` or ``exp``."""

    @st.composite
    def case(draw, kind):
        shape = draw(shapes(min_dims=0))
        lines = (tensor("a", draw(values(shape, low, high)), kind != "forward" or draw(st.booleans())), f"out = a.{op}()")
        if kind == "forward":
            return Program(lines, (Check("out.array"),))
        if kind == "grad_fn":
            return Program(lines + (upstream(draw(values(shape))), "out.grad_fn(g)"), (Check("a.grad"),))
        if kind == "backward":
            return Program(lines + ("out.backward()",), (Check("a.grad"),))
        return Program(lines, (Check("out.grad_fn_name", "text"),))

    yield f"{op}: forward values", case("forward")
    yield f"{op}: grad_fn with a non-uniform upstream gradient", case("grad_fn")
    yield f"{op}: backward()", case("backward")
    yield f"{op}: grad_fn_name", case("name")


def call(op, axis, keepdims):
    """``a.sum(axis=1, keepdims=True)``-style source for a reduction."""
    return f"a.{op}(axis={axis}, keepdims={keepdims})"


def reduction_tests(op):
    """Forward values over every axis with and without ``keepdims``; ``grad_fn`` over all
    elements, one axis with and without ``keepdims`` and a negative axis; ``backward()``; the
    name; for ``max``, ties."""
    unique = op == "max"

    @st.composite
    def reduce(draw, axes, keepdims, gradient):
        shape = draw(shapes())
        axis = draw(axes(len(shape)))
        keep = draw(st.booleans()) if keepdims is None else keepdims
        result_shape = np.sum(np.zeros(shape), axis=axis, keepdims=keep).shape
        lines = (tensor("a", draw(values(shape, unique=unique))), f"out = {call(op, axis, keep)}")
        if gradient is None:
            return Program(lines, (Check("out.array"),))
        if gradient == "grad_fn":
            return Program(lines + (upstream(draw(values(result_shape))), "out.grad_fn(g)"), (Check("a.grad"),))
        if gradient == "backward":
            return Program(lines + ("out.backward()",), (Check("a.grad"),))
        return Program(lines, (Check("out.grad_fn_name", "text"),))

    def every(rank):
        return st.none() | st.integers(-rank, rank - 1)

    def all_elements(rank):
        return st.none()

    def one(rank):
        return st.integers(0, rank - 1)

    def negative(rank):
        return st.integers(-rank, -1)

    yield f"{op}: forward values, every axis, with and without keepdims", reduce(every, None, None)
    yield f"{op}: grad_fn over all elements (axis=None)", reduce(all_elements, None, "grad_fn")
    yield f"{op}: grad_fn along one axis, keepdims=False", reduce(one, False, "grad_fn")
    yield f"{op}: grad_fn along one axis, keepdims=True", reduce(one, True, "grad_fn")
    yield f"{op}: grad_fn along a negative axis", reduce(negative, None, "grad_fn")
    yield f"{op}: backward()", reduce(every, None, "backward")
    yield f"{op}: grad_fn_name", reduce(every, None, "name")
    if op == "max":
        yield "max: ties (the gradient to every tied maximum, the first, or split equally)", max_ties()


@st.composite
def max_ties(draw):
    """``max`` over values drawn from a few integers, so maxima tie."""
    shape = draw(shapes().filter(lambda s: np.prod(s) > 1))
    axis = draw(st.none() | st.integers(0, len(shape) - 1))
    keepdims = draw(st.booleans())
    array = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 2))).astype(np.float64)
    result_shape = np.max(array, axis=axis, keepdims=keepdims).shape
    lines = (tensor("a", array), f"out = {call('max', axis, keepdims)}", upstream(draw(values(result_shape, away=50))), "out.grad_fn(g)")
    return Program(lines, (Check("a.grad", "ties", Ties("a", axis, keepdims, "g")),))


def broadcast_grad_accumulate_tests():
    """The gradient of a broadcast result summed back to an operand's shape."""

    @st.composite
    def case(draw, kind):
        if kind == "some":
            shape, grad_shape = draw(broadcast_shapes("left"))
        else:
            grad_shape = draw(shapes().filter(lambda s: kind == "same" or any(d > 1 for d in s)))
            shape = grad_shape if kind == "same" else (1,) * len(grad_shape)
        lines = (f"x = Tensor(np.zeros({shape!r}))", upstream(draw(values(grad_shape))))
        return Program(lines, (Check("broadcast_grad_accumulate(x, g)"),))

    yield "broadcast_grad_accumulate: the same shape (nothing to sum)", case("same")
    yield "broadcast_grad_accumulate: size-1 axes summed and kept", case("some")
    yield "broadcast_grad_accumulate: every axis of size 1", case("ones")


@st.composite
def reused_leaves(draw):
    """``out = a + b + a + ...``: a leaf used more than once, on a chain of additions."""
    shape = draw(shapes(min_dims=0))
    terms = draw(st.lists(st.sampled_from("ab"), min_size=2, max_size=5).filter(lambda t: t.count("a") >= 2))
    lines = tuple(tensor(name, draw(values(shape))) for name in sorted(set(terms)))
    lines += (f"out = {' + '.join(terms)}", "out.backward()")
    return Program(lines, tuple(Check(f"{name}.grad") for name in sorted(set(terms))))


@st.composite
def meeting_paths(draw):
    """Additions forming a graph in which some result feeds two later operations: its gradient
    must be complete (both contributions summed) before it is passed on, so the walk must be
    topological."""
    shape = draw(shapes(min_dims=0))
    count = draw(st.integers(3, 6))
    nodes = []
    for index in range(count):
        pool = ["a", "b"] + [name for name, _, _ in nodes]
        nodes.append((f"h{index}", draw(st.sampled_from(pool)), draw(st.sampled_from(pool))))
    ancestors, stack = set(), [nodes[-1][0]]
    parents = {name: (left, right) for name, left, right in nodes}
    while stack:
        name = stack.pop()
        if name not in ancestors:
            ancestors.add(name)
            stack.extend(parents.get(name, ()))
    uses = [left for name, left, _ in nodes if name in ancestors] + [right for name, _, right in nodes if name in ancestors]
    if not any(uses.count(name) >= 2 for name in parents if name in ancestors):
        nodes.append((f"h{count}", nodes[-1][0], nodes[-1][0]))
    lines = (tensor("a", draw(values(shape))), tensor("b", draw(values(shape))))
    lines += tuple(f"{name} = {left} + {right}" for name, left, right in nodes)
    lines += (f"{nodes[-1][0]}.backward()",)
    return Program(lines, (Check("a.grad"), Check("b.grad")))


@st.composite
def chain(draw):
    """Several operations in a row on 2-d tensors, each step with a fresh leaf where it takes a
    second operand; values stay finite (``exp`` sees ``h / (1 + h * h)``, ``log`` sees
    ``h * h + 1``)."""
    n, m = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    lines = [tensor("x", draw(values((n, m), unique=True)))]
    leaves = ["x"]
    h = "x"
    if draw(st.booleans()):
        lines.append("h = x - x.max(axis=1, keepdims=True)")
        h = "h"
    for step in range(draw(st.integers(2, 5))):
        kind = draw(st.sampled_from(["+", "-", "*", "/", "@", "exp", "log", "sum", "number"]))
        w = f"w{step}"
        if kind in "+-*/":
            lines.append(tensor(w, draw(values((n, m), away=50 if kind == "/" else 0))))
            lines.append(f"h = {h} {kind} {w}")
        elif kind == "@":
            lines.append(tensor(w, draw(values((m, m), -100, 100))))
            lines.append(f"h = {h} @ {w}")
        elif kind == "exp":
            lines.append(f"h = ({h} / (1 + {h} * {h})).exp()")
        elif kind == "log":
            lines.append(f"h = ({h} * {h} + 1).log()")
        elif kind == "sum":
            lines.append(f"h = {h} + {h}.sum(axis={draw(st.integers(0, 1))}, keepdims=True)")
        else:
            lines.append(f"h = {number(draw(plain_numbers(away=50)))} * {h}")
        if kind in "+-*/@":
            leaves.append(w)
        h = "h"
    lines.append(f"{h}.backward()")
    return Program(tuple(lines), tuple(Check(f"{leaf}.grad") for leaf in leaves))


@st.composite
def tanh_and_softmax(draw):
    """The notebook's tanh and stable softmax, written from exp, max and sum, under a weighted
    sum (a non-uniform gradient)."""
    n, m = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    lines = (
        tensor("x", draw(values((n, m), unique=True))),
        tensor("w", draw(values((n, m))), False),
        "t = (x.exp() - (-1 * x).exp()) / (x.exp() + (-1 * x).exp())",
        "s = t - t.max(axis=-1, keepdims=True)",
        "e = s.exp()",
        "p = e / e.sum(axis=1, keepdims=True)",
        "out = (p * w).sum()",
        "out.backward()",
    )
    return Program(lines, (Check("out.array"), Check("x.grad")))


@st.composite
def printed(draw, kind):
    """``repr`` of a leaf with or without grad, or of an operation's result."""
    shape = draw(shapes(min_dims=0, max_dims=2))
    if kind == "result":
        lines = (tensor("a", draw(values(shape))), tensor("b", draw(values(shape))), "out = a + b")
        return Program(lines, (Check("repr(out)", "text"),))
    return Program((tensor("a", draw(values(shape)), kind == "grad"),), (Check("repr(a)", "text"),))


def property_tests():
    """``(name, strategy)`` for each hidden test."""
    for op, symbol in BINARY.items():
        yield from binary_tests(op, symbol)
    yield from matmul_tests()
    yield from unary_tests("log", 50, 300)
    yield from unary_tests("exp", -300, 300)
    yield from reduction_tests("sum")
    yield from reduction_tests("max")
    yield from broadcast_grad_accumulate_tests()
    yield "backward: a tensor used more than once (gradients accumulate)", reused_leaves()
    yield "backward: two paths that meet (the walk must be topological)", meeting_paths()
    yield "backward: a chain of several operations", chain()
    yield "backward: the notebook's tanh and softmax, from exp, max and sum", tanh_and_softmax()
    yield "repr: a tensor without grad", printed("plain")
    yield "repr: a tensor that requires grad", printed("grad")
    yield "repr: an operation's result, with its grad_fn", printed("result")

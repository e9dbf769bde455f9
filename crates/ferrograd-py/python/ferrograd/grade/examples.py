"""The visible tests: the original notebook's worked examples, with the values it prints.

``A = [[1, 2, 3], [4, 5, 6]]`` and ``B = [[8, 2, 5]]`` (broadcast over A's rows); the matrix
product of ``ones((2, 3))`` and ``2 * ones((3, 2))``; ``log`` and ``exp`` at ones; ``sum`` and
``max`` of ``[[1, 2, 3], [6, 4, 0]]`` along axis 1; the sigmoid ``1 / (1 + exp(-x))`` built from
those operations; the printed form of ``A + B``; and the broadcast gradient the notebook sums back
to B's shape.
"""

from .program import Check, Program

A = "A = Tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), requires_grad=True)"
B = "B = Tensor(np.array([[8.0, 2.0, 5.0]]), requires_grad=True)"
X = "x = Tensor(np.array([[1.0, 2.0, 3.0], [6.0, 4.0, 0.0]]), requires_grad=True)"
UPSTREAM = "g = np.array([[1.0, 4.0, 7.0], [2.0, 1.0, 6.0]])"
RESULT_AND_GRADS = (Check("out.array"), Check("A.grad"), Check("B.grad"))


def worked_examples():
    """``(name, cases)`` for each visible test."""
    for op, symbol, printed in (("add", "+", "[[9, 4, 8], [12, 7, 11]]"),
                                ("sub", "-", "[[-7, 0, -2], [-4, 3, 1]]"),
                                ("mul", "*", "[[8, 4, 15], [32, 10, 30]]"),
                                ("div", "/", "[[0.125, 1, 0.6], [0.5, 2.5, 1.2]]")):
        yield f"{op}: the notebook's A {symbol} B = {printed}, then backward()", (
            Program((A, B, f"out = A {symbol} B", "out.backward()"), RESULT_AND_GRADS),
        )
    yield "add: the notebook's grad_fn of A + B with upstream [[1, 4, 7], [2, 1, 6]]", (
        Program((A, B, "out = A + B", UPSTREAM, "out.grad_fn(g)"), (Check("A.grad"), Check("B.grad"))),
    )
    yield "matmul: the notebook's ones((2, 3)) @ (2 * ones((3, 2))), then backward()", (
        Program(
            (
                "A = Tensor(np.ones((2, 3)), requires_grad=True)",
                "B = Tensor(2 * np.ones((3, 2)), requires_grad=True)",
                "out = A @ B",
                "out.backward()",
            ),
            RESULT_AND_GRADS,
        ),
    )
    for op in ("log", "exp"):
        yield f"{op}: the notebook's {op} of ones((2, 3)), then backward()", (
            Program(
                ("x = Tensor(np.ones((2, 3)), requires_grad=True)", f"out = x.{op}()", "out.backward()"),
                (Check("out.array"), Check("x.grad")),
            ),
        )
    for op, printed in (("sum", "[6, 10]"), ("max", "[3, 6]")):
        yield f"{op}: the notebook's x.{op}(axis=1) = {printed}, then backward()", (
            Program((X, f"out = x.{op}(axis=1)", "out.backward()"), (Check("out.array"), Check("x.grad"))),
        )
    yield "broadcast_grad_accumulate: the notebook's gradient [[1, 4, 7], [2, 1, 6]] summed to B's shape", (
        Program(("B = Tensor(np.array([[8.0, 2.0, 5.0]]))", UPSTREAM), (Check("broadcast_grad_accumulate(B, g)"),)),
    )
    yield "backward: the notebook's sigmoid 1 / (1 + exp(-x))", (
        Program((X, "out = 1 / (1 + (-1 * x).exp())", "out.backward()"), (Check("out.array"), Check("x.grad"))),
    )
    yield "repr: the notebook's printed A + B", (
        Program((A, B, "out = A + B"), (Check("repr(out)", "text"), Check("out.grad_fn_name", "text"))),
    )

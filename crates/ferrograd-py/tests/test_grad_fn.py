"""`out.grad_fn(upstream)`: one backward step, as the original's worked examples call it; and the
gradients backward() leaves on intermediate results, compared with the NumPy original."""

import numpy as np
import pytest

import ferrograd
from ferrograd import *  # noqa: F403

A_VALUES = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
B_VALUES = [[8.0, 2.0, 5.0]]
UPSTREAM = np.array([[1, 4, 7], [2, 1, 6]])  # an int array: any numeric dtype is accepted


def operands():
    return Tensor(A_VALUES, requires_grad=True), Tensor(B_VALUES, requires_grad=True)


def test_add_grad_fn():
    a, b = operands()
    out = a + b
    assert out.grad_fn.name == "<AddBackward>"
    out.grad_fn(UPSTREAM)
    np.testing.assert_array_equal(a.grad, UPSTREAM)
    np.testing.assert_array_equal(b.grad, [[3, 5, 13]])  # columns summed over the rows


def test_sub_grad_fn():
    a, b = operands()
    (a - b).grad_fn(UPSTREAM)
    np.testing.assert_array_equal(a.grad, UPSTREAM)
    np.testing.assert_array_equal(b.grad, [[-3, -5, -13]])


def test_mul_grad_fn():
    a, b = operands()
    (a * b).grad_fn(UPSTREAM)
    np.testing.assert_array_equal(a.grad, [[8, 8, 35], [16, 2, 30]])  # g·b
    np.testing.assert_array_equal(b.grad, [[9, 13, 57]])  # Σ rows of g·a: 1+8, 8+5, 21+36


def test_div_grad_fn():
    a, b = operands()
    (a / b).grad_fn(UPSTREAM)
    np.testing.assert_allclose(a.grad, [[1 / 8, 2, 7 / 5], [2 / 8, 1 / 2, 6 / 5]], rtol=1e-15)  # g/b
    # -g·a/b², summed over rows: -(1+8)/64, -(8+5)/4, -(21+36)/25
    np.testing.assert_allclose(b.grad, [[-9 / 64, -13 / 4, -57 / 25]], rtol=1e-15)


def test_matmul_grad_fn():
    a, b = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(2 * np.ones((3, 2)), requires_grad=True)
    out = a @ b
    out.grad_fn(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(a.grad, [[6, 6, 6], [14, 14, 14]])  # G·Bᵀ
    np.testing.assert_array_equal(b.grad, [[4, 6], [4, 6], [4, 6]])  # Aᵀ·G


def test_log_and_exp_grad_fn():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x.log().grad_fn(UPSTREAM)
    np.testing.assert_array_equal(x.grad, UPSTREAM)  # g/x at 1
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x.exp().grad_fn(UPSTREAM)
    np.testing.assert_allclose(x.grad, np.e * UPSTREAM, rtol=1e-15)  # g·e^x at 1


def test_sum_and_max_grad_fn_with_upstream_1_2():
    x = Tensor([[1, 2, 3], [6, 4, 0]], requires_grad=True)
    x.sum(axis=1).grad_fn(np.array([1, 2]))
    np.testing.assert_array_equal(x.grad, [[1, 1, 1], [2, 2, 2]])
    x = Tensor([[1, 2, 3], [6, 4, 0]], requires_grad=True)
    x.max(axis=1).grad_fn(np.array([1, 2]))
    np.testing.assert_array_equal(x.grad, [[0, 0, 1], [2, 0, 0]])


def test_grad_fn_adds_up_and_is_none_where_nothing_needs_grad():
    a, b = operands()
    out = a + b
    out.grad_fn(UPSTREAM)
    out.grad_fn(UPSTREAM)
    np.testing.assert_array_equal(a.grad, 2 * UPSTREAM)
    assert a.grad_fn is None and a.grad_fn_name is None
    assert (Tensor([1.0]) + 1).grad_fn is None
    c = Tensor(A_VALUES) * b  # only b requires grad
    c.grad_fn(UPSTREAM)
    np.testing.assert_array_equal(b.grad, 2 * np.array([[3, 5, 13]]) + np.array([[9, 13, 57]]))


def test_every_tensor_that_requires_grad_keeps_its_gradient_after_backward():
    x = Tensor([[1.0, 2.0, 3.0], [6.0, 4.0, 0.0]], requires_grad=True)
    neg = -1 * x
    e = neg.exp()
    denominator = 1 + e
    s = 1 / denominator
    s.backward()
    sigma = 1 / (1 + np.exp(-x.array))
    np.testing.assert_array_equal(s.grad, np.ones((2, 3)))  # the seed
    np.testing.assert_allclose(denominator.grad, -1 / denominator.array ** 2, rtol=1e-15)
    np.testing.assert_allclose(e.grad, -1 / denominator.array ** 2, rtol=1e-15)
    np.testing.assert_allclose(neg.grad, -e.array / denominator.array ** 2, rtol=1e-15)
    np.testing.assert_allclose(x.grad, sigma * (1 - sigma), rtol=1e-12)
    assert s.parents[1] is not None and s.parents[1].grad is not None


def build(T, values, exp, log):
    """The same graph in either engine: every intermediate result is returned."""
    a = T(values[0], requires_grad=True)
    b = T(values[1], requires_grad=True)
    c = T(values[2])  # a constant
    steps = [a, b]
    steps.append(a * b)                       # (3, 4) * (1, 4)
    steps.append(steps[-1] + c)               # + (3, 1)
    steps.append(exp(steps[-1] * 0.1))
    steps.append(steps[-1] / (b + 2))
    steps.append(log(steps[-1] + 1))
    steps.append(steps[-1] - steps[2])        # a node used twice
    steps.append(steps[-1].max(axis=1, keepdims=True))
    steps.append(steps[-3] @ T(values[3]))    # (3, 4) @ (4, 2)
    steps.append(steps[-1].sum(axis=0) * steps[-2].sum())
    steps.append(steps[-1].sum())
    return steps


def test_all_gradients_match_the_numpy_original(original):
    rng = np.random.default_rng(7)
    values = [rng.uniform(0.5, 2, (3, 4)), rng.uniform(0.5, 2, (1, 4)), rng.uniform(-1, 1, (3, 1)),
              rng.uniform(-1, 1, (4, 2))]
    ours = build(Tensor, values, lambda t: t.exp(), lambda t: t.log())
    theirs = build(original.Tensor, values, lambda t: t.exp(), lambda t: t.log())
    ours[-1].backward()
    theirs[-1].backward()
    for mine, reference in zip(ours, theirs):
        assert mine.grad_fn_name == reference.grad_fn_name
        np.testing.assert_allclose(mine.array, reference.array, rtol=1e-13)
        np.testing.assert_allclose(mine.grad, reference.grad, rtol=1e-12, atol=1e-14)
        assert repr(mine) == repr(reference)


@pytest.mark.parametrize("shape", [(3,), (2, 1), (3, 2)])
def test_an_upstream_gradient_of_the_wrong_shape_names_both_shapes(shape):
    a, b = operands()
    pattern = rf"^grad_fn: gradient of shape \[{', '.join(map(str, shape))}\] does not fit a tensor of shape \[2, 3\]$"
    with pytest.raises(ValueError, match=pattern):
        (a + b).grad_fn(np.ones(shape))
    with pytest.raises(TypeError, match=r"^grad_fn: expected numbers"):
        (a + b).grad_fn("ones")


def test_data_replaced_with_another_shape_after_the_graph_was_recorded():
    a, b = operands()
    out = a * b
    a.array = np.ones((4, 4))
    pattern = (r"^<MulBackward>: its inputs now have shapes \[\[4, 4\], \[1, 3\]\] and its output "
               r"\[2, 3\], which it cannot have made")
    with pytest.raises(ValueError, match=pattern):
        out.backward()
    with pytest.raises(ValueError, match=pattern):
        out.grad_fn(np.ones((2, 3)))
    a.array = np.ones((2, 3))  # same shape again: fine
    out.backward()


def test_no_grad_records_nothing_and_restores_recording():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with ferrograd.no_grad():
        y = w * 3
        assert not ferrograd.is_grad_enabled()
        with ferrograd.no_grad():
            pass
        assert not ferrograd.is_grad_enabled()
    assert ferrograd.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert (w * 3).requires_grad
    with pytest.raises(KeyError):
        with ferrograd.no_grad():
            raise KeyError("inside")
    assert ferrograd.is_grad_enabled()


def test_gradcheck_passes_for_the_notebooks_building_blocks():
    rng = np.random.default_rng(3)
    x, w = rng.uniform(-1, 1, (4, 5)), rng.uniform(-1, 1, (5, 3))

    def tanh_from_exp(t):
        return (t.exp() - (-1 * t).exp()) / (t.exp() + (-1 * t).exp())

    def softmax(t):
        e = (t - t.max(axis=-1, keepdims=True)).exp()
        return e / e.sum(axis=1, keepdims=True)

    report = ferrograd.gradcheck(lambda a, b: softmax(tanh_from_exp(a @ b)), [x, w])
    assert report.passed(1e-6), report
    assert len(report.errors) == 2 and report.max_error < 1e-6


def test_gradcheck_reports_the_functions_errors():
    with pytest.raises(ZeroDivisionError):
        ferrograd.gradcheck(lambda a: 1 / 0, [np.ones(2)])
    with pytest.raises(TypeError, match=r"^gradcheck: f must return a ferrograd.Tensor, got float$"):
        ferrograd.gradcheck(lambda a: 1.0, [np.ones(2)])
    with pytest.raises(ValueError, match=r"^backward: this tensor does not require grad"):
        ferrograd.gradcheck(lambda a: a.detach(), [np.ones(2)])

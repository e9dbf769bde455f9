"""The original assignment's worked examples, with their numbers, through backward().

A = [[1, 2, 3], [4, 5, 6]] and B = [[8, 2, 5]] (broadcast over A's rows) unless said otherwise.
backward() seeds ones of the output's shape, so B's gradient sums its share over the two rows.
"""

import numpy as np
import pytest

from ferrograd import *  # noqa: F403 - the notebook's own import

A_VALUES = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
B_VALUES = [[8.0, 2.0, 5.0]]


def operands():
    return Tensor(A_VALUES, requires_grad=True), Tensor(B_VALUES, requires_grad=True)


def test_add_backward():
    a, b = operands()
    out = a + b
    np.testing.assert_array_equal(out.array, [[9, 4, 8], [12, 7, 11]])
    assert out.grad_fn_name == "<AddBackward>"
    out.backward()
    np.testing.assert_array_equal(a.grad, np.ones((2, 3)))  # d(a+b)/da = 1
    np.testing.assert_array_equal(b.grad, [[2, 2, 2]])  # 1 per row, summed over 2 rows


def test_sub_backward():
    a, b = operands()
    out = a - b
    np.testing.assert_array_equal(out.array, [[-7, 0, -2], [-4, 3, 1]])
    assert out.grad_fn_name == "<SubBackward>"
    out.backward()
    np.testing.assert_array_equal(a.grad, np.ones((2, 3)))
    np.testing.assert_array_equal(b.grad, [[-2, -2, -2]])  # d(a-b)/db = -1, twice


def test_mul_backward():
    a, b = operands()
    out = a * b
    np.testing.assert_array_equal(out.array, [[8, 4, 15], [32, 10, 30]])
    assert out.grad_fn_name == "<MulBackward>"
    out.backward()
    np.testing.assert_array_equal(a.grad, [[8, 2, 5], [8, 2, 5]])  # d(ab)/da = b
    np.testing.assert_array_equal(b.grad, [[5, 7, 9]])  # d(ab)/db = a, columns summed


def test_div_backward():
    a, b = operands()
    out = a / b
    np.testing.assert_allclose(out.array, [[1 / 8, 1, 3 / 5], [4 / 8, 5 / 2, 6 / 5]], rtol=1e-15)
    assert out.grad_fn_name == "<DivBackward>"
    out.backward()
    np.testing.assert_allclose(a.grad, [[1 / 8, 1 / 2, 1 / 5]] * 2, rtol=1e-15)  # 1/b
    # d(a/b)/db = -a/b², summed over rows: -(1+4)/64, -(2+5)/4, -(3+6)/25
    np.testing.assert_allclose(b.grad, [[-5 / 64, -7 / 4, -9 / 25]], rtol=1e-15)


def test_matmul_backward():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(2 * np.ones((3, 2)), requires_grad=True)
    out = a @ b
    np.testing.assert_array_equal(out.array, 6 * np.ones((2, 2)))
    assert out.grad_fn_name == "<MatmulBackward>"
    out.backward()
    np.testing.assert_array_equal(a.grad, 4 * np.ones((2, 3)))  # G·Bᵀ: 2 + 2
    np.testing.assert_array_equal(b.grad, 2 * np.ones((3, 2)))  # Aᵀ·G: 1 + 1


def test_log_and_exp_backward():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    out = x.log()
    np.testing.assert_array_equal(out.array, np.zeros((2, 3)))
    assert out.grad_fn_name == "<LogBackward>"
    out.backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))  # 1/x at 1

    x = Tensor(np.ones((2, 3)), requires_grad=True)
    out = x.exp()
    # float64 exp is a vectorised polynomial within 2 ulp of libm's: e to the last bit or one off.
    np.testing.assert_allclose(out.array, np.e * np.ones((2, 3)), rtol=2.3e-16, atol=0)
    assert out.grad_fn_name == "<ExpBackward>"
    out.backward()
    np.testing.assert_allclose(x.grad, np.e * np.ones((2, 3)), rtol=2.3e-16, atol=0)  # e^x at 1


def test_sum_and_max_along_axis_1():
    x = Tensor([[1, 2, 3], [6, 4, 0]], requires_grad=True)
    out = x.sum(axis=1)
    np.testing.assert_array_equal(out.array, [6, 10])
    assert out.grad_fn_name == "<SumBackward>"
    out.backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))

    x = Tensor([[1, 2, 3], [6, 4, 0]], requires_grad=True)
    out = x.max(axis=1)
    np.testing.assert_array_equal(out.array, [3, 6])
    assert out.grad_fn_name == "<MaxBackward>"
    out.backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 1], [1, 0, 0]])  # to each row's maximum


def test_sigmoid_from_primitives_matches_its_derivative():
    values = np.array([[1.0, 2.0, 3.0], [6.0, 4.0, 0.0]])
    x = Tensor(values, requires_grad=True)
    s = 1 / (1 + (-1 * x).exp())
    sigma = 1 / (1 + np.exp(-values))
    np.testing.assert_allclose(s.array, sigma, rtol=1e-15)
    assert s.grad_fn_name == "<DivBackward>"
    s.backward()
    np.testing.assert_allclose(x.grad, sigma * (1 - sigma), rtol=1e-12)


def test_printed_forms_character_for_character():
    a, b = operands()
    assert repr(a + b) == (
        "tensor([[ 9.000  4.000  8.000]\n"
        "        [12.000  7.000 11.000]], grad_fn=<AddBackward>)"
    )
    assert str(a + b) == repr(a + b)
    assert repr(a) == (
        "tensor([[1.000 2.000 3.000]\n"
        "        [4.000 5.000 6.000]], requires_grad=True)"
    )
    assert repr(Tensor(3)) == "tensor(3.000)"
    assert repr((a * b).sum()) == "tensor(99.000, grad_fn=<SumBackward>)"


def test_printed_forms_match_the_original_everywhere(original):
    cases = [
        np.arange(30.0),  # wraps at 80 columns
        np.array([1e-5, 1.0]),  # scientific notation
        np.array([np.nan, np.inf, -np.inf]),
        np.zeros((2, 2, 2)),  # blank line between blocks
        np.arange(2000.0).reshape(40, 50),  # summarised with ...
        np.array([[-1.5, 2.25]]),
    ]
    for values in cases:
        for requires_grad in (False, True):
            ours = Tensor(values, requires_grad=requires_grad)
            theirs = original.Tensor(values, requires_grad=requires_grad)
            assert repr(ours) == repr(theirs)
            assert repr(ours.exp()) == repr(theirs.exp())


def test_broadcast_grad_accumulate_keeps_an_int_gradient_int():
    x = Tensor([[8, 2, 5]])
    summed = broadcast_grad_accumulate(x, np.array([[1, 4, 7], [2, 1, 6]]))
    np.testing.assert_array_equal(summed, [[3, 5, 13]])
    assert summed.dtype == np.array([[1, 4, 7]]).dtype  # int64, as NumPy's sum gives


def test_broadcast_grad_accumulate_takes_any_object_with_a_shape(original):
    grad = np.arange(24.0).reshape(2, 3, 4)
    for shape in [(2, 3, 4), (3, 4), (1, 4), (3, 1), (1, 1, 1), (4,), (), (2, 1, 4)]:
        theirs = original.broadcast_grad_accumulate(original.Tensor(np.zeros(shape)), grad)
        ours = broadcast_grad_accumulate(original.Tensor(np.zeros(shape)), grad)
        np.testing.assert_array_equal(ours, theirs)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        np.testing.assert_array_equal(broadcast_grad_accumulate(np.zeros(shape), grad), theirs)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint8, np.bool_, np.float32])
def test_broadcast_grad_accumulate_gives_numpys_sum_dtype(original, dtype):
    grad = (np.arange(6).reshape(2, 3) % 3).astype(dtype)
    x = Tensor([[0, 0, 0]])
    ours = broadcast_grad_accumulate(x, grad)
    theirs = original.broadcast_grad_accumulate(x, grad)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)

"""`.array` and `.grad` are NumPy views of the tensor's own buffers: no copy per read, in-place
NumPy updates reach the tensor, and a view never dangles, whatever later happens to the tensor."""

import gc

import numpy as np
import pytest

import ferrograd
from ferrograd import Tensor


def address(array):
    return array.__array_interface__["data"][0]


def churn():
    """Frees and reuses memory, so a dangling view would show garbage."""
    gc.collect()
    junk = [Tensor(np.full((64, 64), 7.0)) * 3 for _ in range(50)]
    del junk
    gc.collect()


def test_array_is_a_view_of_the_tensors_buffer_not_a_copy():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert address(t.array) == address(t.array)
    assert t.array.flags.writeable
    view = t.array
    view[0, 0] = 100.0
    assert t.array[0, 0] == 100.0
    assert (t * 1).array[0, 0] == 100.0  # the engine computes with the written value


def test_the_originals_sgd_step_updates_the_parameter_in_place():
    w = Tensor(np.ones((784, 256)), requires_grad=True)
    (w * 2.0).sum().backward()
    before = address(w.array)
    w.array -= 0.1 * w.grad
    assert address(w.array) == before  # no copy of the parameter
    np.testing.assert_array_equal(w.array, np.full((784, 256), 0.8))
    np.testing.assert_array_equal((w * 1).array, np.full((784, 256), 0.8))


def test_in_place_gradient_updates_reach_the_tensor():
    w = Tensor(np.ones(3), requires_grad=True)
    w.grad += 1.5
    (w * 2.0).sum().backward()  # adds 2 per element
    np.testing.assert_array_equal(w.grad, [3.5, 3.5, 3.5])


def test_a_view_outlives_reassigning_the_data_with_another_shape():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    view = t.array
    t.array = np.zeros((40, 40))
    churn()
    np.testing.assert_array_equal(view, np.arange(6.0).reshape(2, 3))
    assert t.shape == (40, 40)
    np.testing.assert_array_equal(t.grad, np.zeros((40, 40)))  # a gradient of the new shape


def test_a_view_outlives_the_tensor_and_its_graph():
    a = Tensor(np.full((3, 3), 2.0), requires_grad=True)
    out = (a * a).sum(axis=0)
    out.backward()
    data, grad, result = a.array, a.grad, out.array
    del a, out
    churn()
    np.testing.assert_array_equal(data, np.full((3, 3), 2.0))
    np.testing.assert_array_equal(grad, np.full((3, 3), 4.0))
    np.testing.assert_array_equal(result, [12.0, 12.0, 12.0])
    data += 1  # still writeable memory of its own
    assert data[0, 0] == 3.0


def test_a_gradient_view_keeps_its_values_when_the_engine_writes_a_new_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    first = x.grad
    x.zero_grad()
    (x * 5.0).sum().backward()
    np.testing.assert_array_equal(first, [3.0, 3.0])  # copy-on-write: the old buffer is intact
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])


def test_a_data_view_stays_valid_across_an_optimizer_step():
    layer = ferrograd.nn.Linear(4, 3, seed=0)
    weights = layer.weight.array
    before = weights.copy()
    opt = ferrograd.optim.SGD(layer.parameters(), lr=0.5)
    layer(np.ones((2, 4))).sum().backward()
    opt.step()
    churn()
    np.testing.assert_array_equal(weights, before)  # the view kept the values it had
    assert not np.array_equal(layer.weight.array, before)  # the tensor moved on


def test_grad_is_zeros_before_backward_and_none_without_requires_grad():
    np.testing.assert_array_equal(Tensor(np.ones((2, 3)), requires_grad=True).grad, np.zeros((2, 3)))
    assert Tensor([1.0]).grad is None
    assert (Tensor([1.0]) * 2).grad is None


def test_grad_can_be_assigned_and_accumulates_on_top():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.grad = np.array([10, 20])  # any numeric dtype, converted
    (x * x).sum().backward()  # adds 2x
    np.testing.assert_array_equal(x.grad, [12.0, 24.0])
    x.grad = None
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_assigning_a_gradient_of_the_wrong_shape_names_both_shapes():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"^set_grad: gradient of shape \[3\] does not fit a tensor of shape \[2, 3\]$"):
        x.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"does not require grad"):
        Tensor([1.0]).grad = np.ones(1)


def test_numpy_asarray_shares_and_numpy_array_copies():
    t = Tensor([1.0, 2.0, 3.0])
    assert np.shares_memory(np.asarray(t), t.array)
    assert not np.shares_memory(np.array(t), t.array)
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(np.asarray(t), [1.0, 2.0, 3.0])


def test_float32_tensors_lend_float32_buffers():
    t = Tensor([[1, 2]], requires_grad=True, dtype="float32")
    assert t.array.dtype == np.float32 and t.grad.dtype == np.float32
    t.array *= 2
    np.testing.assert_array_equal((t + 0).array, [[2.0, 4.0]])

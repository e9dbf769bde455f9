"""Bad input raises ValueError or TypeError with a message that says what is wrong; nothing
crashes, and no Rust panic reaches Python."""

import threading

import numpy as np
import pytest

import ferrograd
from ferrograd import Tensor


@pytest.mark.parametrize(
    "op, name",
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a - b, "sub"),
        (lambda a, b: a * b, "mul"),
        (lambda a, b: a / b, "div"),
        (ferrograd.add, "add"),
        (ferrograd.div, "div"),
    ],
)
def test_shapes_that_do_not_broadcast_name_both_shapes(op, name):
    a, b = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones((4,)))
    with pytest.raises(ValueError, match=rf"^{name}: shapes \[2, 3\] and \[4\] cannot be broadcast together$"):
        op(a, b)


def test_an_ndarray_operand_of_the_wrong_shape_names_both_shapes():
    with pytest.raises(ValueError, match=r"shapes \[2, 3\] and \[2\] cannot be broadcast"):
        Tensor(np.ones((2, 3))) * np.ones(2)
    with pytest.raises(ValueError, match=r"shapes \[2\] and \[2, 3\] cannot be broadcast"):
        np.ones(2) - Tensor(np.ones((2, 3)))


def test_matmul_of_unaligned_shapes_names_both():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((2, 3)))
    message = r"^matmul: shapes \[2, 3\] and \[2, 3\] are not aligned: expected \(p, q\) @ \(q, r\)$"
    with pytest.raises(ValueError, match=message):
        a @ b
    with pytest.raises(ValueError, match=r"matmul: shapes \[3\] and \[3, 2\] are not aligned"):
        Tensor(np.ones(3)) @ Tensor(np.ones((3, 2)))


def test_ragged_lists_are_a_value_error():
    with pytest.raises(ValueError, match=r"^Tensor: cannot make an array of list: .*inhomogeneous"):
        Tensor([[1, 2], [3]])


@pytest.mark.parametrize(
    "value, shown",
    [
        ("abc", r"the string 'abc'"),
        (["a", "b"], r"list of dtype <U1"),
        ([1, None], r"list of dtype object"),
        ({"a": 1}, r"dict of dtype object"),
        (np.array([1 + 2j]), r"ndarray of dtype complex128"),
    ],
)
def test_non_numeric_data_is_a_type_error(value, shown):
    with pytest.raises(TypeError, match=rf"^Tensor: expected numbers, got {shown}"):
        Tensor(value)


def test_operands_that_are_not_numbers_are_a_type_error():
    with pytest.raises(TypeError, match=r"^add: expected numbers, got the string 'x'$"):
        Tensor([1.0]) + "x"
    with pytest.raises(TypeError, match=r"^mul: expected numbers, got NoneType of dtype object$"):
        None * Tensor([1.0])


def test_backward_on_a_tensor_that_needs_no_grad_says_the_fix_in_python():
    with pytest.raises(ValueError, match=r"^backward: this tensor does not require grad") as error:
        (Tensor([1.0, 2.0]) * 2).backward()
    message = str(error.value)
    assert "Tensor(..., requires_grad=True)" in message and "with ferrograd.no_grad():" in message
    assert ".requires_grad()" not in message  # the Rust spelling: in Python it is a bool


@pytest.mark.parametrize("method", ["sum", "max", "mean"])
def test_axis_out_of_range_names_axis_and_shape(method):
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=rf"^{method}: axis 2 is out of range for a tensor of shape \[2, 3\]$"):
        getattr(t, method)(axis=2)
    with pytest.raises(ValueError, match=rf"^{method}: axis -3 is out of range"):
        getattr(ferrograd, method)(t, axis=-3)


def test_softmax_axis_out_of_range():
    with pytest.raises(ValueError, match=r"^softmax: axis 1 is out of range for a tensor of shape \[3\]$"):
        Tensor(np.ones(3)).softmax(axis=1)


def test_an_axis_that_is_not_an_int_is_a_type_error():
    with pytest.raises(TypeError):
        Tensor(np.ones((2, 3))).sum(axis=1.5)


def test_item_of_a_tensor_with_several_elements():
    with pytest.raises(ValueError, match=r"^item: tensor of shape \[2\] holds 2 elements, expected exactly one$"):
        Tensor([1.0, 2.0]).item()


def test_reshape_to_another_element_count():
    with pytest.raises(ValueError, match=r"^reshape: 6 elements cannot fill shape \[4\]$"):
        Tensor(np.ones((2, 3))).reshape(4)


def test_mixing_dtypes_is_a_type_error():
    with pytest.raises(TypeError, match=r"cannot combine a float32 tensor with a float64 tensor"):
        Tensor([1.0], dtype="float32") + Tensor([1.0])
    with pytest.raises(TypeError, match=r"^dtype must be float64 or float32, got int64$"):
        Tensor([1], dtype="int64")


def test_a_tensor_used_from_another_thread_raises_a_clear_error():
    t = Tensor([1.0, 2.0], requires_grad=True)
    errors = []

    def use():
        for touch in (lambda: t + 1, lambda: t.array, lambda: repr(t), lambda: t.backward()):
            try:
                touch()
            except RuntimeError as error:
                errors.append(str(error))

    thread = threading.Thread(target=use)
    thread.start()
    thread.join()
    assert len(errors) == 4
    assert all("belongs to the thread that created it" in e for e in errors)
    assert (t * 2).array.tolist() == [2.0, 4.0]  # still fine on its own thread


def test_cross_entropy_bad_labels():
    logits = Tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"^cross_entropy: 3 labels for a batch of 2 logit rows$"):
        ferrograd.nn.cross_entropy(logits, [0, 1, 2])
    with pytest.raises(ValueError, match=r"label 3 at index 1 is out of range for 3 classes"):
        ferrograd.nn.cross_entropy(logits, [0, 3])
    with pytest.raises(ValueError, match=r"label -1 is negative"):
        ferrograd.nn.cross_entropy(logits, [0, -1])
    with pytest.raises(TypeError, match=r"labels must be integers, got dtype float64"):
        ferrograd.nn.cross_entropy(logits, [0.5, 1.0])


def test_mlp_input_of_the_wrong_width_names_both_shapes():
    model = ferrograd.nn.MLP([4, 3, 2])
    with pytest.raises(ValueError, match=r"^matmul: shapes \[5, 7\] and \[4, 3\] are not aligned"):
        model(np.zeros((5, 7)))
    with pytest.raises(ValueError, match=r"unknown activation `gelu`"):
        ferrograd.nn.MLP([4, 2], activation="gelu")


def test_optimizer_of_non_tensors_is_a_type_error():
    with pytest.raises(TypeError, match=r"^SGD: parameters must be ferrograd Tensors, got list$"):
        ferrograd.optim.SGD([[1.0]], lr=0.1)
    with pytest.raises(ValueError, match=r"^SGD: lr must be a finite number >= 0, got -1"):
        ferrograd.optim.SGD([], lr=-1)


def test_optimizer_settings_out_of_range_are_value_errors_with_the_library_message():
    p = [Tensor([1.0, 2.0], requires_grad=True)]
    p32 = [Tensor([1.0, 2.0], requires_grad=True, dtype="float32")]
    cases = [
        (lambda: ferrograd.optim.SGD(p, lr=float("nan")), "SGD: lr must be a finite number >= 0, got NaN"),
        (lambda: ferrograd.optim.SGD(p32, lr=-0.5), "SGD: lr must be a finite number >= 0, got -0.5"),
        (lambda: ferrograd.optim.SGD(p, lr=0.1, momentum=-0.9), "SGD: momentum must be a finite number >= 0, got -0.9"),
        (lambda: ferrograd.optim.SGD(p, lr=0.1, weight_decay=float("inf")), "SGD: weight_decay must be a finite number >= 0, got inf"),
        (lambda: ferrograd.optim.Adam(p, lr=-1), "Adam: lr must be a finite number >= 0, got -1"),
        (lambda: ferrograd.optim.Adam(p, betas=(1.0, 0.999)), "Adam: beta1 must be in [0, 1), got 1"),
        (lambda: ferrograd.optim.Adam(p32, betas=(0.9, 1.5)), "Adam: beta2 must be in [0, 1), got 1.5"),
        (lambda: ferrograd.optim.Adam(p, eps=0.0), "Adam: eps must be a finite number > 0, got 0"),
    ]
    for make, message in cases:
        with pytest.raises(ValueError) as raised:
            make()
        assert str(raised.value) == message
    # The edges of the ranges are allowed, as in PyTorch.
    ferrograd.optim.SGD(p, lr=0.0)
    ferrograd.optim.Adam(p, lr=0.0, betas=(0.0, 0.0))


def test_loading_a_missing_or_foreign_file(tmp_path):
    model = ferrograd.nn.MLP([4, 3, 2])
    with pytest.raises(OSError, match=r"cannot read .*missing.safetensors"):
        model.load(tmp_path / "missing.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match=r"junk.safetensors is not a safetensors file"):
        model.load(junk)
    with pytest.raises(OSError, match=r"no-such-dir"):
        ferrograd.data.load_mnist(tmp_path / "no-such-dir")

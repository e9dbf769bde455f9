"""A complete solution of the original assignment, written for the grader's tests: a NumPy
``Tensor`` recording the operations that made it, ``broadcast_grad_accumulate``, and reverse-mode
``backward``. The one-bug variants in ``test_grade.py`` are this file with one line changed."""

import numpy as np


def ensure_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


class Tensor:
    def __init__(self, array, requires_grad=False, parents=(), grad_fn=None, grad_fn_name=None):
        self.array = np.array(array, dtype=float)
        self.requires_grad = requires_grad
        self.grad = np.zeros_like(self.array) if requires_grad else None
        self.parents = parents
        self.grad_fn = grad_fn
        self.grad_fn_name = grad_fn_name

    @property
    def shape(self):
        return self.array.shape

    def zero_grad(self):
        if self.requires_grad:
            self.grad = np.zeros_like(self.array)

    def __add__(self, other):
        return add(self, ensure_tensor(other))

    def __radd__(self, other):
        return add(ensure_tensor(other), self)

    def __sub__(self, other):
        return sub(self, ensure_tensor(other))

    def __rsub__(self, other):
        return sub(ensure_tensor(other), self)

    def __mul__(self, other):
        return mul(self, ensure_tensor(other))

    def __rmul__(self, other):
        return mul(ensure_tensor(other), self)

    def __truediv__(self, other):
        return div(self, ensure_tensor(other))

    def __rtruediv__(self, other):
        return div(ensure_tensor(other), self)

    def __matmul__(self, other):
        return matmul(self, ensure_tensor(other))

    def log(self):
        return log(self)

    def exp(self):
        return exp(self)

    def sum(self, axis=None, keepdims=False):
        return sum(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return max(self, axis, keepdims)

    def backward(self):
        order, seen = [], set()

        def visit(t):
            if id(t) not in seen:
                seen.add(id(t))
                for parent in t.parents:
                    visit(parent)
                order.append(t)

        visit(self)
        self.grad = np.ones_like(self.array)
        for t in reversed(order):
            if t.grad_fn is not None:
                t.grad_fn(t.grad)

    def __repr__(self):
        text = np.array2string(self.array, separator=" ", precision=3, floatmode="fixed", max_line_width=80)
        lines = text.split("\n")
        text = "\n".join([lines[0]] + [" " * len("tensor(") + line for line in lines[1:]])
        if self.requires_grad:
            text += f", grad_fn={self.grad_fn_name}" if self.grad_fn_name is not None else ", requires_grad=True"
        return f"tensor({text})"


def broadcast_grad_accumulate(x, grad):
    axes = tuple(i for i, (size, g) in enumerate(zip(x.shape, grad.shape)) if size == 1 and g != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


def result(array, parents, backward, name):
    requires_grad = any(p.requires_grad for p in parents)
    return Tensor(array, requires_grad, parents, backward if requires_grad else None, name)


def accumulate(t, grad):
    if t.requires_grad:
        t.grad += broadcast_grad_accumulate(t, grad)


def add(a, b):
    def backward(g):
        accumulate(a, g)
        accumulate(b, g)

    return result(a.array + b.array, (a, b), backward, "<AddBackward>")


def sub(a, b):
    def backward(g):
        accumulate(a, g)
        accumulate(b, -g)

    return result(a.array - b.array, (a, b), backward, "<SubBackward>")


def mul(a, b):
    def backward(g):
        accumulate(a, g * b.array)
        accumulate(b, g * a.array)

    return result(a.array * b.array, (a, b), backward, "<MulBackward>")


def div(a, b):
    def backward(g):
        accumulate(a, g / b.array)
        accumulate(b, -g * a.array / b.array**2)

    return result(a.array / b.array, (a, b), backward, "<DivBackward>")


def matmul(a, b):
    def backward(g):
        if a.requires_grad:
            a.grad += g @ b.array.T
        if b.requires_grad:
            b.grad += a.array.T @ g

    return result(a.array @ b.array, (a, b), backward, "<MatmulBackward>")


def log(a):
    def backward(g):
        accumulate(a, g / a.array)

    return result(np.log(a.array), (a,), backward, "<LogBackward>")


def exp(a):
    out = np.exp(a.array)

    def backward(g):
        accumulate(a, g * out)

    return result(out, (a,), backward, "<ExpBackward>")


def sum(a, axis=None, keepdims=False):
    def backward(g):
        if axis is not None and not keepdims:
            g = np.expand_dims(g, axis)
        accumulate(a, np.broadcast_to(g, a.shape))

    return result(np.sum(a.array, axis=axis, keepdims=keepdims), (a,), backward, "<SumBackward>")


def max(a, axis=None, keepdims=False):
    def backward(g):
        if axis is not None and not keepdims:
            g = np.expand_dims(g, axis)
        tied = a.array == np.max(a.array, axis=axis, keepdims=True)
        accumulate(a, tied * g)

    return result(np.max(a.array, axis=axis, keepdims=keepdims), (a,), backward, "<MaxBackward>")

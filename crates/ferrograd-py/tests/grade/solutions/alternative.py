"""A second correct solution, written differently from ``submitted.py`` on purpose: operations as
methods (no module-level functions), gradients kept in a dictionary during ``backward`` and a
walk in Kahn's order (no recursion), ``max`` sending the gradient to the first maximum only,
``broadcast_grad_accumulate`` also summing leading axes (NumPy's rank extension) and no
``shape`` property. The grader must give it full marks."""

import numpy as np


class Tensor:
    def __init__(self, array, requires_grad=False):
        self.array = np.asarray(array, dtype=np.float64).copy()
        self.requires_grad = requires_grad
        self.grad = np.zeros(self.array.shape) if requires_grad else None
        self.parents = ()
        self.grad_fn = None
        self.grad_fn_name = None

    def zero_grad(self):
        self.grad = np.zeros(self.array.shape) if self.requires_grad else None

    def _make(self, array, parents, rules, name):
        """A result of ``parents`` with one derivative rule (upstream -> gradient) per parent."""
        out = Tensor(array, any(p.requires_grad for p in parents))
        out.parents, out.grad_fn_name = parents, name

        def grad_fn(upstream):
            for parent, rule in zip(parents, rules):
                if parent.requires_grad:
                    parent.grad = parent.grad + broadcast_grad_accumulate(parent, rule(np.asarray(upstream, dtype=np.float64)))

        if out.requires_grad:
            out.grad_fn = grad_fn
        return out

    @staticmethod
    def _wrap(x):
        return x if isinstance(x, Tensor) else Tensor(x)

    def __add__(self, other):
        other = self._wrap(other)
        return self._make(self.array + other.array, (self, other), (lambda g: g, lambda g: g), "<AddBackward>")

    def __radd__(self, other):
        return self._wrap(other) + self

    def __sub__(self, other):
        other = self._wrap(other)
        return self._make(self.array - other.array, (self, other), (lambda g: g, lambda g: -g), "<SubBackward>")

    def __rsub__(self, other):
        return self._wrap(other) - self

    def __mul__(self, other):
        other = self._wrap(other)
        a, b = self.array, other.array
        return self._make(a * b, (self, other), (lambda g: g * b, lambda g: g * a), "<MulBackward>")

    def __rmul__(self, other):
        return self._wrap(other) * self

    def __truediv__(self, other):
        other = self._wrap(other)
        a, b = self.array, other.array
        return self._make(a / b, (self, other), (lambda g: g / b, lambda g: -(g * a) / (b * b)), "<DivBackward>")

    def __rtruediv__(self, other):
        return self._wrap(other) / self

    def __matmul__(self, other):
        other = self._wrap(other)
        a, b = self.array, other.array
        return self._make(a @ b, (self, other), (lambda g: g @ b.T, lambda g: a.T @ g), "<MatmulBackward>")

    def log(self):
        a = self.array
        return self._make(np.log(a), (self,), (lambda g: g / a,), "<LogBackward>")

    def exp(self):
        out = np.exp(self.array)
        return self._make(out, (self,), (lambda g: g * out,), "<ExpBackward>")

    def _spread(self, g, axis, keepdims):
        """``g`` of a reduction's result, as an array of this tensor's shape."""
        if axis is not None and not keepdims:
            g = np.expand_dims(g, axis)
        return np.broadcast_to(g, self.array.shape)

    def sum(self, axis=None, keepdims=False):
        out = self.array.sum(axis=axis, keepdims=keepdims)
        return self._make(out, (self,), (lambda g: self._spread(g, axis, keepdims),), "<SumBackward>")

    def max(self, axis=None, keepdims=False):
        a = self.array
        first = np.zeros(a.shape, dtype=bool)
        if axis is None:
            first.flat[np.argmax(a)] = True
        else:
            np.put_along_axis(first, np.expand_dims(np.argmax(a, axis=axis), axis), True, axis=axis)
        return self._make(a.max(axis=axis, keepdims=keepdims), (self,),
                          (lambda g: first * self._spread(g, axis, keepdims),), "<MaxBackward>")

    def backward(self):
        consumers, stack, seen = {}, [self], {id(self)}
        while stack:
            node = stack.pop()
            for parent in node.parents:
                consumers[id(parent)] = consumers.get(id(parent), 0) + 1
                if id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append(parent)
        self.grad = np.ones(self.array.shape)
        ready = [self]
        while ready:
            node = ready.pop()
            if node.grad_fn is not None:
                node.grad_fn(node.grad)
            for parent in node.parents:
                consumers[id(parent)] -= 1
                if consumers[id(parent)] == 0:
                    ready.append(parent)

    def __repr__(self):
        text = np.array2string(self.array, separator=" ", precision=3, floatmode="fixed", max_line_width=80)
        text = text.replace("\n", "\n" + " " * len("tensor("))
        if self.requires_grad:
            text += f", grad_fn={self.grad_fn_name}" if self.grad_fn_name else ", requires_grad=True"
        return f"tensor({text})"


def broadcast_grad_accumulate(x, grad):
    shape = x.array.shape
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape)))) if grad.ndim > len(shape) else grad
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad

"""The original notebook's model and training loop, as a student writes them against their
``Tensor``: tanh and a stable softmax from exp, max and sum, cross-entropy from softmax and log,
``Linear`` (``x @ W + b``, uniform(±sqrt(1/in))), the MLP 784-256-256-10 and an SGD doing
``param.array -= lr * param.grad``.

This file is a program text, not a module to import: whoever runs it puts the ``Tensor`` class
under test into its namespace first. The grader runs it in the submission's process with the
submission's ``Tensor`` (``training.py``); the module's tests run it with ferrograd's
(``tests/test_training.py``).
"""

import numpy as np


def tanh(x):
    return (x.exp() - (-1 * x).exp()) / (x.exp() + (-1 * x).exp())


def softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    exp = shifted.exp()
    return exp / exp.sum(axis=1, keepdims=True)


class Linear:
    def __init__(self, n_in, n_out):
        k = 1 / n_in
        self.W = Tensor(np.random.uniform(-np.sqrt(k), np.sqrt(k), size=(n_in, n_out)), requires_grad=True)
        self.b = Tensor(np.random.uniform(-np.sqrt(k), np.sqrt(k), size=(1, n_out)), requires_grad=True)

    def __call__(self, x):
        return x @ self.W + self.b

    def parameters(self):
        return [self.W, self.b]


def cross_entropy_loss(logits, targets):
    batch = logits.array.shape[0]
    probs = softmax(logits)
    onehot = np.zeros((batch, logits.array.shape[1]))
    onehot[np.arange(batch), targets] = 1
    log_probs = (probs + 1e-8).log()
    return -1 * (Tensor(onehot) * log_probs).sum() / batch


class MLP:
    def __init__(self):
        self.fc1, self.fc2, self.fc3 = Linear(784, 256), Linear(256, 256), Linear(256, 10)

    def forward(self, x):
        return self.fc3(tanh(self.fc2(tanh(self.fc1(x)))))

    def parameters(self):
        return self.fc1.parameters() + self.fc2.parameters() + self.fc3.parameters()


class SGD:
    def __init__(self, parameters, lr):
        self.parameters, self.lr = parameters, lr

    def step(self):
        for param in self.parameters:
            param.array -= self.lr * param.grad

    def zero_grad(self):
        for param in self.parameters:
            param.zero_grad()


def step(model, opt, x, y):
    """One SGD step on a batch; returns the loss."""
    loss = cross_entropy_loss(model.forward(Tensor(x)), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def train_epoch(model, opt, x_train, y_train, batch=32):
    """One pass over the training set in a random order (from NumPy's global generator)."""
    order = np.random.permutation(len(x_train))
    for i in range(0, len(order), batch):
        step(model, opt, x_train[order[i:i + batch]], y_train[order[i:i + batch]])


def predict(model, x, batch=500):
    """The predicted digit of each row of ``x``."""
    return np.concatenate([np.argmax(model.forward(Tensor(x[i:i + batch])).array, axis=1) for i in range(0, len(x), batch)])

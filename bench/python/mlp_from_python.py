"""The CLI's recipe driven from Python through ferrograd.nn and ferrograd.optim: MLP 784-256-256-10
(tanh), cross-entropy, SGD lr 0.1, batch 32, shuffled, float32 (as `ferrograd train`).

usage: python mlp_from_python.py [--data DIR] [--epochs 1] [--dtype float32] [--seed 0]
Prints one line per epoch with `epoch_s`: the training loop only (batch assembly, forward,
backward, step and reading the loss), the span `ferrograd train` writes to metrics.csv.
"""
import argparse
import os
import time

import numpy as np

import ferrograd
from ferrograd import nn, optim

p = argparse.ArgumentParser()
p.add_argument("--data", default=os.environ.get("MNIST_DIR"))
p.add_argument("--epochs", type=int, default=1)
p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
p.add_argument("--seed", type=int, default=0)
args = p.parse_args()

(x_train, y_train), (x_test, y_test) = ferrograd.data.load_mnist(args.data)
model = nn.MLP([784, 256, 256, 10], "tanh", seed=args.seed, dtype=args.dtype)
opt = optim.SGD(model.parameters(), lr=0.1)
rng = np.random.default_rng(args.seed)
scale = np.array(1 / 255, dtype=args.dtype)
for epoch in range(args.epochs):
    t0 = time.perf_counter()
    perm = rng.permutation(len(x_train))
    total = 0.0
    for i in range(0, len(perm), 32):
        idx = perm[i:i + 32]
        x = x_train[idx] * scale
        loss = nn.cross_entropy(model(x), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    epoch_s = time.perf_counter() - t0
    with ferrograd.no_grad():
        logits = model(x_test * scale).array
    acc = 100 * np.mean(np.argmax(logits, axis=1) == y_test)
    print(f"Epoch {epoch + 1}/{args.epochs} | Train Loss: {total / (len(perm) / 32):.4f} | "
          f"Test Acc: {acc:.2f}% | epoch_s {epoch_s:.3f}", flush=True)

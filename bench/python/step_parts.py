"""Where the notebook cell's time goes on ferrograd: the parts BENCHMARKS.md's floor is made of.

usage: python bench/python/step_parts.py [--steps 2000]

Run from the repository root with the Python that has ferrograd installed, ../shared beside it.
The model, loss and SGD are the notebook's own (`../shared/bench/python/notebook_train.py`, its
definitions executed with ferrograd's Tensor); the data is random, so no MNIST is read. Prints:

1. a step split into forward, `backward()` and the cell's SGD update (NumPy's
   `param.array -= lr * param.grad`), in µs, the mean over --steps steps after 200 warm-up steps;
2. the step's eight matrix products timed alone (best of 5), with their GFLOP/s;
3. the cell's permutation copy of a 60,000 × 784 float64 array, four times in this process.
"""
import argparse
import pathlib
import time
import timeit

import numpy as np

import ferrograd
from ferrograd import Tensor

NOTEBOOK = pathlib.Path(__file__).resolve().parents[3] / "shared" / "bench" / "python" / "notebook_train.py"

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=2000)
args = p.parse_args()

# The notebook's definitions (tanh ... evaluate), without its argument parsing, data or loop.
source = NOTEBOOK.read_text()
notebook = {"np": np, "Tensor": Tensor}
exec(source[source.index("def tanh"):source.index("x_train = idx(")], notebook)
np.random.seed(0)
model = notebook["MLP"]()
opt = notebook["SGD"](model.parameters(), lr=0.1)
xs, ys = np.random.rand(60_000, 784), np.random.randint(0, 10, 60_000)

# 1. A step, in parts.
parts = np.zeros(3)
for s in range(200 + args.steps):
    i = (s % 1875) * 32
    t0 = time.perf_counter()
    loss = notebook["cross_entropy_loss"](model.forward(Tensor(xs[i:i + 32])), ys[i:i + 32])
    t1 = time.perf_counter()
    opt.zero_grad()
    loss.backward()
    t2 = time.perf_counter()
    opt.step()
    t3 = time.perf_counter()
    if s >= 200:
        parts += (t1 - t0, t2 - t1, t3 - t2)
forward, backward, sgd = parts / args.steps * 1e6
print(f"step (µs): forward {forward:.0f}  backward {backward:.0f}  SGD (NumPy) {sgd:.0f}  "
      f"total {forward + backward + sgd:.0f}  ({ferrograd.__name__}, {args.steps} steps)")

# 2. The step's products alone: forward x·W1, h·W2, h·W3; backward W1's, W2's and W3's
# gradients (a transposed activation times the upstream gradient) and the two hidden layers'
# (the upstream gradient times a transposed weight).
r = np.random.default_rng(0)
def tensor(*shape):
    return Tensor(r.standard_normal(shape))
x, h, g, g3 = tensor(32, 784), tensor(32, 256), tensor(32, 256), tensor(32, 10)
w1, w2, w3 = tensor(784, 256), tensor(256, 256), tensor(256, 10)
transposed = lambda t: Tensor(np.ascontiguousarray(t.array.T))
products = {
    "x @ W1": (x, w1), "h @ W2": (h, w2), "h @ W3": (h, w3),
    "xT @ g (W1's grad)": (transposed(x), g), "hT @ g (W2's grad)": (transposed(h), g),
    "hT @ g3 (W3's grad)": (transposed(h), g3),
    "g @ W2T (h's grad)": (g, transposed(w2)), "g3 @ W3T (h's grad)": (g3, transposed(w3)),
}
total_s = total_flop = 0
for name, (a, b) in products.items():
    seconds = min(timeit.repeat(lambda: a @ b, number=200, repeat=5)) / 200
    flop = 2 * a.shape[0] * a.shape[1] * b.shape[1]
    total_s, total_flop = total_s + seconds, total_flop + flop
    print(f"  {name:22s} {seconds * 1e6:7.1f} µs  {flop / seconds / 1e9:6.1f} GFLOP/s")
print(f"products: {total_s * 1e6:.0f} µs a step, {total_flop / total_s / 1e9:.1f} GFLOP/s "
      f"({total_flop / 1e6:.1f} MFLOP)")

# 3. The cell's permutation copy.
copies = []
for _ in range(4):
    t = time.perf_counter()
    shuffled = xs[np.random.permutation(len(xs))]
    copies.append(time.perf_counter() - t)
    del shuffled
print("x_train[perm] (s): " + ", ".join(f"{c:.3f}" for c in copies))

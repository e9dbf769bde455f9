"""Speed of the Python module against the NumPy original, PyTorch's per-op cost and the CLI.

usage: python bench/python/compare.py [--rounds 3] [--data DIR] [--ferrograd-only]

Run with the Python that has ferrograd installed (`pip install ./crates/ferrograd-py`), from the
repository root, with ../shared beside it. Measures, in one session, interleaving the engines:

1. the original notebook's training cell (`shared/bench/python/notebook_train.py`, 5 epochs of
   batch 32 in float64 with an evaluation after each) on `--engine numpy` and `--engine ferrograd`:
   `total_s`, median of the rounds;
2. the per-call cost of a small recorded op (`a + b`, 2x3, requires_grad) for ferrograd, the
   NumPy original's Tensor, bare NumPy and (when importable) PyTorch: best of 7 timeit repeats,
   median over the rounds;
3. `nn.MLP` + `optim.SGD` driven from Python (bench/python/mlp_from_python.py, float32) against
   `ferrograd train --epochs 1`: the training loop's seconds for one epoch, median of the rounds.

It prints the machine's load average before and after, then one markdown table.
"""
import argparse
import csv
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
NOTEBOOK = SHARED / "bench" / "python" / "notebook_train.py"

p = argparse.ArgumentParser()
p.add_argument("--rounds", type=int, default=3)
p.add_argument("--data", default=os.environ.get("MNIST_DIR", SHARED / "data" / "mnist"))
p.add_argument("--ferrograd-only", action="store_true", help="skip the NumPy notebook runs")
p.add_argument("--threads", type=int, default=0,
               help="threads for both engines (OPENBLAS_NUM_THREADS and FERROGRAD_NUM_THREADS); "
                    "0 leaves both at their default, every CPU")
p.add_argument("--notebook-only", action="store_true", help="only the notebook cell (part 1)")
args = p.parse_args()


def load():
    return open("/proc/loadavg").read().split()[:3]


ENV = dict(os.environ)
if args.threads:
    for name in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "FERROGRAD_NUM_THREADS"]:
        ENV[name] = str(args.threads)


def run(cmd, **kw):
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=ENV, **kw)
    if out.returncode:
        sys.exit(f"{cmd} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def notebook(engine):
    out = run([sys.executable, NOTEBOOK, "--engine", engine, "--data", args.data])
    acc = re.findall(r"Test Acc: ([0-9.]+)%", out)[-1]
    return float(re.search(r"total_s ([0-9.]+)", out).group(1)), acc


SMALL_OP = r"""
import sys, timeit, numpy as np
sys.path.insert(0, sys.argv[1])
import ferrograd, original_submitted as orig
def best(stmt, g):
    t = timeit.Timer(stmt, globals=g); n, _ = t.autorange()
    return min(t.repeat(7, n)) / n * 1e6
x, y = np.ones((2, 3)), np.ones((2, 3))
res = {"numpy": best("x + y", locals()),
       "ferrograd": best("a + b", {"a": ferrograd.Tensor(x, requires_grad=True), "b": ferrograd.Tensor(y, requires_grad=True)}),
       "original": best("a + b", {"a": orig.Tensor(x, requires_grad=True), "b": orig.Tensor(y, requires_grad=True)})}
try:
    import torch
    torch.set_num_threads(1)
    res["torch"] = best("a + b", {"a": torch.ones(2, 3, dtype=torch.float64, requires_grad=True), "b": torch.ones(2, 3, dtype=torch.float64, requires_grad=True)})
except ImportError:
    pass
print(" ".join(f"{k}={v:.3f}" for k, v in res.items()))
"""


def small_op():
    out = run([sys.executable, "-c", SMALL_OP, SHARED / "bench" / "python"])
    return {k: float(v) for k, v in (kv.split("=") for kv in out.split())}


def cli_epoch(binary):
    with tempfile.TemporaryDirectory() as out:
        run([binary, "train", "--epochs", "1", "--data", args.data, "--out", out])
        with open(pathlib.Path(out) / "metrics.csv") as f:
            return float(next(csv.DictReader(f))["seconds"])


def python_mlp_epoch():
    out = run([sys.executable, ROOT / "bench" / "python" / "mlp_from_python.py", "--data", args.data])
    return float(re.search(r"epoch_s ([0-9.]+)", out).group(1))


binary = ROOT / "target" / "release" / "ferrograd"
run(["cargo", "build", "--release", "-q", "-p", "ferrograd-cli"], cwd=ROOT)
print("load average before:", *load(), f"(threads: {args.threads or 'default'})", flush=True)
results = {k: [] for k in ["numpy", "ferrograd", "ops", "cli", "mlp"]}
accuracy = {}
for r in range(args.rounds):
    engines = ["ferrograd"] + ([] if args.ferrograd_only else ["numpy"])
    for engine in engines if r % 2 == 0 else engines[::-1]:
        seconds, accuracy[engine] = notebook(engine)
        results[engine].append(seconds)
        print(f"round {r + 1}: notebook {engine} total_s {seconds:.2f} (acc {accuracy[engine]}%)", flush=True)
    if args.notebook_only:
        continue
    results["ops"].append(small_op())
    print(f"round {r + 1}: small op (us) {results['ops'][-1]}", flush=True)
    pair = [("cli", lambda: cli_epoch(binary)), ("mlp", python_mlp_epoch)]
    for name, fn in pair if r % 2 == 0 else pair[::-1]:
        results[name].append(fn())
        print(f"round {r + 1}: {name} epoch_s {results[name][-1]:.3f}", flush=True)
print("load average after:", *load(), flush=True)

med = {k: statistics.median(v) for k, v in results.items() if v and k != "ops"}
ops = {k: statistics.median(o[k] for o in results["ops"]) for k in results["ops"][0]} if results["ops"] else {}
print()
print("| measure | median | runs |")
print("| --- | --- | --- |")
for k in ["numpy", "ferrograd"]:
    if k in med:
        print(f"| notebook training cell, 5 epochs, {k} | {med[k]:.2f} s | {', '.join(f'{x:.2f}' for x in results[k])} |")
if "numpy" in med:
    print(f"| speed-up ferrograd over NumPy original | **{med['numpy'] / med['ferrograd']:.2f}×** | |")
for k, v in ops.items():
    print(f"| `a + b` 2x3 requires_grad, {k} | {v:.3f} µs | {', '.join(f'{o[k]:.3f}' for o in results['ops'])} |")
if "cli" not in med:
    sys.exit(0)
print(f"| `ferrograd train --epochs 1` | {med['cli']:.3f} s | {', '.join(f'{x:.3f}' for x in results['cli'])} |")
print(f"| nn.MLP + optim.SGD from Python, 1 epoch | {med['mlp']:.3f} s | {', '.join(f'{x:.3f}' for x in results['mlp'])} |")
print(f"| Python / CLI | **{med['mlp'] / med['cli']:.2f}×** | |")

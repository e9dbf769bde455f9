#!/usr/bin/env bash
# CI for the Python module: a fresh virtual environment, `pip install ./crates/ferrograd-py` (as a
# user would, through maturin), then the pytest suite against MNIST in $MNIST_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
export MNIST_DIR="${MNIST_DIR:-$(cd .. && pwd)/shared/data/mnist}"
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

venv=target/ci-python-venv
step "fresh virtual environment in $venv"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" --version

step "pip install ./crates/ferrograd-py pytest numpy"
"$venv/bin/pip" install --quiet ./crates/ferrograd-py pytest numpy

step "the ferrograd CLI (the tests check that it reads models saved from Python)"
cargo build --release --quiet -p ferrograd-cli

step "pytest (MNIST from $MNIST_DIR; the grader's own tests run in .ci/grader.sh, from the wheel)"
cd crates/ferrograd-py
"../../$venv/bin/python" -m pytest -q -rs -p no:cacheprovider tests --ignore=tests/grade

step "the grader from this install: the notebook's examples on the reference solution"
"../../$venv/bin/python" -m ferrograd.grade tests/grade/solutions/submitted.py --visible

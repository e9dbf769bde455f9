#!/usr/bin/env bash
# CI for the grader (ferrograd.grade): the wheel a course's autograder image installs, built by
# crates/ferrograd-py/build-wheel.sh (abi3, manylinux2014), installed into a fresh virtual
# environment with no Rust toolchain on PATH; it grades the project's reference solution (full
# marks expected), then the grader's pytest suite runs against that install.
set -euo pipefail
cd "$(dirname "$0")/.."
export MNIST_DIR="${MNIST_DIR:-$(cd .. && pwd)/shared/data/mnist}"
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

step "the wheel (maturin --zig, manylinux2014, abi3)"
wheels=target/ci-wheels
rm -rf "$wheels"
bash crates/ferrograd-py/build-wheel.sh "$wheels"
ls -l "$wheels"

step "a fresh virtual environment without cargo, rustc or rustup on PATH"
venv=target/ci-grader-venv
rm -rf "$venv"
python3 -m venv "$venv"
PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '\.cargo/bin' -e '\.rustup' | paste -sd: -)
export PATH
if command -v cargo || command -v rustc; then echo "cargo or rustc still on PATH"; exit 1; fi
"$venv/bin/pip" install --quiet "$wheels"/ferrograd-*.whl pytest

step "grade the reference solution with the installed console script"
"$venv/bin/ferrograd-grade" crates/ferrograd-py/tests/grade/solutions/submitted.py --json target/ci-grade.json
"$venv/bin/python" - target/ci-grade.json <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
most = sum(t["max_score"] for t in results["tests"])
assert results["score"] == most, f"the reference solution scored {results['score']} of {most}"
print(f"grader check passed: {results['score']:g}/{most:g} in {results['execution_time']} s")
PY

step "the grader's tests (pytest, from the wheel's install)"
cd crates/ferrograd-py
"../../$venv/bin/python" -m pytest -q -rs -p no:cacheprovider tests/grade

#!/usr/bin/env bash
# Builds ferrograd's wheel for any Linux x86_64 with glibc 2.17 or newer (manylinux2014) and any
# CPython from 3.9 on (abi3): a wheel that installs without Rust, as an autograder image needs.
# maturin and zig (the ziglang package, which links against the old glibc) come from PyPI into a
# virtual environment of their own.
#
#   bash crates/ferrograd-py/build-wheel.sh [OUT_DIR]     (default: target/wheels)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/target/wheels}
tools=$root/target/wheel-tools
[ -x "$tools/bin/maturin" ] || { python3 -m venv "$tools" && "$tools/bin/pip" install --quiet "maturin>=1.9.4,<2" ziglang; }
PATH="$tools/bin:$PATH" maturin build --release --manifest-path "$here/Cargo.toml" \
  --zig --compatibility manylinux2014 --out "$out"

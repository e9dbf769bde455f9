#!/usr/bin/env bash
# Data-parallel training speed (issue 21): `ferrograd bench --distributed` on 1 and on 2 MPI
# processes of this machine, each on one thread, at the recipe's shapes and at hidden 1024/2048
# with batch 256/1024; then, per shape, the 2-process speed-up in images per second over one
# process on one thread, the time of one allreduce of the gradients and its share of the step,
# and the ring-allreduce model's speed-up on 8 and 64 machines at 10 and 100 Gb/s (from the
# one-process run's measurements). The aim: >= 1.6x at hidden 2048, batch 1024.
#
#   bash bench/distributed.sh [extra bench flags, e.g. --quick or --reps 5]
#
# Needs Open MPI and the MPI build (`cargo build --release -p ferrograd-cli --features mpi`,
# done here) and a quiet machine: it takes a few minutes. Not part of the tests or CI (CI runs
# `bench --distributed --quick` once, to see that it works).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cargo build --release --quiet -p ferrograd-cli --features mpi
bin=$repo/target/release/ferrograd
out=$(mktemp -d)
echo "== 1 process ($(date +%T))"
"$bin" bench --distributed --json "$@" >"$out/one.json"
echo "== 2 processes ($(date +%T))"
mpirun --oversubscribe -n 2 "$bin" bench --distributed --against "$out/one.json" "$@"
rm -rf "$out"

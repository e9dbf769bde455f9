#!/usr/bin/env bash
# CI for data-parallel training over MPI (the CLI's cargo feature `mpi`): installs Open MPI when
# it is missing, builds ferrograd with it and checks, with two processes on this machine:
# - one process under mpirun writes the very model the default build writes (cmp);
# - the seed-0 5-epoch run on 2 ranks ends within 0.2 points of one process, epoch by epoch;
# - a rank killed mid-epoch ends the job within 10 s with a non-zero status and leaves the last
#   completed epoch whole; --resume on 2 ranks then reaches the uninterrupted run's weights (cmp);
#   this is done once killing rank 0 (the writer) and once killing rank 1;
# - a rank that cannot read the data, or a model rank 0 cannot read, stops every rank naming it.
# Runs after the rest of CI, as it replaces target/release/ferrograd with the MPI build.
set -euo pipefail
cd "$(dirname "$0")/.."
export MNIST_DIR="${MNIST_DIR:-$(cd .. && pwd)/shared/data/mnist}"
export CARGO_TERM_COLOR=never
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }
# CI runs as root, which Open MPI refuses unless told; --oversubscribe lets 2 ranks start on a
# machine that reports fewer slots.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --oversubscribe)

step "Open MPI (Debian's libopenmpi-dev, openmpi-bin; libclang-dev for the bindings)"
if ! command -v mpirun >/dev/null || ! dpkg -s libopenmpi-dev libclang-dev >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenmpi-dev openmpi-bin libclang-dev >/dev/null
fi
mpirun --version | head -1

tmp=$(mktemp -d)
step "the default build (no MPI), kept for the comparison"
cargo build --release --quiet -p ferrograd-cli
if cargo tree -p ferrograd-cli -e normal | grep -q ' mpi v'; then
    echo "the default build depends on the mpi crate"; exit 1
fi
cp target/release/ferrograd "$tmp/ferrograd-default"

step "cargo clippy and build with --features mpi"
cargo clippy --quiet -p ferrograd-cli --all-targets --features mpi -- -D warnings
cargo build --release --quiet -p ferrograd-cli --features mpi
bin=$(pwd)/target/release/ferrograd

step "one process: the MPI build under mpirun -n 1 writes the default build's model"
"$tmp/ferrograd-default" train --epochs 1 --seed 0 --data "$MNIST_DIR" --out "$tmp/default" >/dev/null
"${mpirun[@]}" -n 1 "$bin" train --epochs 1 --seed 0 --data "$MNIST_DIR" --out "$tmp/one" >/dev/null
"$bin" train --epochs 1 --seed 0 --data "$MNIST_DIR" --out "$tmp/alone" >/dev/null
cmp "$tmp/default/model.safetensors" "$tmp/one/model.safetensors"
cmp "$tmp/default/model.safetensors" "$tmp/alone/model.safetensors"
echo "identical: the default build, the MPI build alone, and under mpirun -n 1"

step "seed 0, 5 epochs: one process, then 2 ranks"
"$tmp/ferrograd-default" train --seed 0 --data "$MNIST_DIR" --out "$tmp/single" | tee "$tmp/single.log"
"${mpirun[@]}" -n 2 "$bin" train --seed 0 --data "$MNIST_DIR" --out "$tmp/two" | tee "$tmp/two.log"
python3 - "$tmp/single.log" "$tmp/two.log" <<'PY'
import re, sys
def curve(path):
    log = open(path).read()
    epochs = re.findall(r"Train Loss: ([0-9.]+) \| Val Loss: ([0-9.]+) \| Test Acc: ([0-9.]+)%", log)
    return [tuple(map(float, e)) for e in epochs]
one, two = curve(sys.argv[1]), curve(sys.argv[2])
assert len(one) == len(two) == 5, (one, two)
for epoch, (a, b) in enumerate(zip(one, two), 1):
    print(f"epoch {epoch}: 1 process loss {a[0]:.4f} acc {a[2]:.2f}% | 2 ranks loss {b[0]:.4f} acc {b[2]:.2f}%")
    assert abs(a[0] - b[0]) < 0.01 and abs(a[1] - b[1]) < 0.01, f"epoch {epoch}: the loss curves part"
assert abs(one[-1][2] - two[-1][2]) <= 0.2, f"final accuracy {two[-1][2]}% vs {one[-1][2]}%"
print(f"2 ranks within 0.2 points of one process: {two[-1][2]}% vs {one[-1][2]}%")
PY
for f in metrics.csv loss.png model.safetensors state.txt; do test -s "$tmp/two/$f"; done

# Starts a 2-rank run (arguments: the run's flags) in the background, waits until its state.txt
# records one more epoch than it did, lets it run into the next, kills rank $1, and checks that
# the job ends within 10 s with a non-zero status and that the folder holds its last epoch whole.
kill_mid_epoch() {
    local rank=$1 run=$2; shift 2
    local before; before=$(epochs_done "$run")
    "${mpirun[@]}" -n 2 "$bin" train "$@" >"$run.log" 2>&1 &
    local job=$!
    for _ in $(seq 600); do
        [ "$(epochs_done "$run")" -gt "$before" ] && break
        sleep 0.1
    done
    sleep 0.4
    local victim="" p
    for p in $(pgrep -f -- "$bin train" || true); do
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank"; then
            victim=$p
        fi
    done
    test -n "$victim" || { echo "no rank $rank found"; cat "$run.log"; exit 1; }
    local killed; killed=$(date +%s%N)
    kill -9 "$victim"
    local status=0
    wait "$job" || status=$?
    local took_ms=$(( ($(date +%s%N) - killed) / 1000000 ))
    echo "killed rank $rank (pid $victim) after epoch $(epochs_done "$run"): the job ended in $took_ms ms with status $status"
    [ "$status" -ne 0 ] || { echo "the job exited 0"; exit 1; }
    [ "$took_ms" -lt 10000 ] || { echo "the job took $took_ms ms to end"; exit 1; }
    python3 - "$run" <<'PY'
import hashlib, json, sys, pathlib
run = pathlib.Path(sys.argv[1])
state = json.loads((run / "state.txt").read_text())["run"]
weights = hashlib.sha256((run / "model.safetensors").read_bytes()).hexdigest()
assert state["model_sha256"] == weights, "model.safetensors is not the recorded epoch's"
assert 1 <= len(state["history"]) < 5, state["history"]
print(f"checkpoint whole: epoch {len(state['history'])}'s weights, as state.txt records")
PY
}
epochs_done() {
    python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["run"]["history"]))' "$1/state.txt" 2>/dev/null || echo 0
}

step "faults: kill rank 0 mid-epoch, resume, kill rank 1 mid-epoch, resume to the end"
run="$tmp/killed"
kill_mid_epoch 0 "$run" --seed 0 --data "$MNIST_DIR" --out "$run"
kill_mid_epoch 1 "$run" --resume "$run"
"${mpirun[@]}" -n 2 "$bin" train --resume "$run"
cmp "$run/model.safetensors" "$tmp/two/model.safetensors"
echo "resumed twice on 2 ranks: the uninterrupted 2-rank run's weights, bit for bit"

# Runs a command that must fail with status 2 and say each of the strings after -- on stderr.
must_fail() {
    local status=0
    "${@:1:$#-2}" >/dev/null 2>"$tmp/err" || status=$?
    local needle=${*: -1}
    cat "$tmp/err" | grep 'ferrograd' || true
    [ "$status" -eq 2 ] || { echo "status $status, not 2"; cat "$tmp/err"; exit 1; }
    grep -q -- "$needle" "$tmp/err" || { echo "stderr does not name $needle"; exit 1; }
}

step "a rank that cannot read the data, or the model, stops every rank"
must_fail "${mpirun[@]}" -n 1 "$bin" train --epochs 1 --data "$MNIST_DIR" --out "$tmp/nodata" \
    : -n 1 "$bin" train --epochs 1 --data "$tmp/missing" --out "$tmp/nodata" -- "rank 1: .*$tmp/missing"
sed -i 's/"epochs": 5/"epochs": 6/' "$tmp/two/state.txt"
echo "not a model" >"$tmp/two/model.safetensors"
must_fail "${mpirun[@]}" -n 2 "$bin" train --resume "$tmp/two" -- "$tmp/two/model.safetensors"

step "ferrograd bench --distributed --quick on 2 ranks"
"${mpirun[@]}" -n 2 "$bin" bench --distributed --quick

rm -rf "$tmp"
echo "MPI checks passed"

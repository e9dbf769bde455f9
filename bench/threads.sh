#!/usr/bin/env bash
# The two-thread check of issue 12: consecutive `ferrograd train --epochs 2 --threads 2` runs on
# real MNIST, with one-thread runs before and after them as the reference, each run's epoch
# times, the 1-minute load when it started, the pool's tuner decisions (FERROGRAD_TUNER_LOG) and
# the process's context switches and CPU migrations (perf stat, software events).
#
#   bench/threads.sh [RUNS]          # default 20 two-thread runs, 3 one-thread runs each side
#
# Not part of the tests or CI: it needs a quiet 2-core machine and takes about a minute per 10
# runs. It waits (at most WAIT_MAX seconds, default 1800) until the 1-minute load is below 0.5
# and no compiler, Python or browser is running, and notes the load of every run.
# Environment: FG (the binary, default target/release/ferrograd), DATA (default
# ../shared/data/mnist), OUT (default /tmp/fg-threads-<time>), T1_RUNS (default 3),
# PERF_SCHED=1 to keep a `perf sched record` of every two-thread run (large files).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-20}
T1_RUNS=${T1_RUNS:-3}
FG=${FG:-$repo/target/release/ferrograd}
DATA=${DATA:-$repo/../shared/data/mnist}
OUT=${OUT:-/tmp/fg-threads-$(date +%H%M%S)}
WAIT_MAX=${WAIT_MAX:-1800}
[[ -x $FG ]] || { echo "missing $FG (cargo build --release -p ferrograd-cli)" >&2; exit 1; }
mkdir -p "$OUT"

busy() { # prints why the machine is busy, nothing when quiet
    local load; load=$(cut -d' ' -f1 /proc/loadavg)
    awk -v l="$load" 'BEGIN { exit !(l >= 0.5) }' && echo "load $load"
    local others
    others=$(ps -eo comm= | grep -xE 'rustc|cargo|cc1|cc1plus|ld|clang|python[0-9.]*|node|chromium|chrome' |
        sort -u | tr '\n' ' ')
    [[ -n $others ]] && echo "running: $others"
    return 0
}
wait_quiet() {
    local waited=0
    while [[ -n $(busy) ]]; do
        if (( waited >= WAIT_MAX )); then
            echo "still busy after ${WAIT_MAX}s: $(busy); measuring anyway (noted)" >&2
            return
        fi
        sleep 20; waited=$((waited + 20))
    done
}
steal() { awk '/^cpu /{print $9}' /proc/stat; } # jiffies the hypervisor ran something else

# run KIND N THREADS: one 2-epoch run; appends a line to runs.tsv
run() {
    local kind=$1 n=$2 threads=$3 dir="$OUT/$1-$2" load steal0 perf=()
    rm -rf "$dir"; mkdir -p "$dir"
    load=$(cut -d' ' -f1 /proc/loadavg); steal0=$(steal)
    if [[ ${PERF_SCHED:-0} == 1 && $threads == 2 ]]; then
        perf=(perf sched record -q -o "$dir/sched.data" --)
    fi
    FERROGRAD_TUNER_LOG=1 "${perf[@]}" perf stat -x, -o "$dir/perf-stat.csv" \
        -e task-clock,context-switches,cpu-migrations \
        "$FG" train --data "$DATA" --epochs 2 --threads "$threads" --out "$dir/run" \
        >"$dir/stdout.txt" 2>"$dir/tuner.txt"
    local secs switches migrations
    secs=$(awk -F, 'NR > 1 { printf "%s%s", sep, $NF; sep = "\t" }' "$dir/run/metrics.csv")
    switches=$(awk -F, '$3 == "context-switches" { print $1 }' "$dir/perf-stat.csv")
    migrations=$(awk -F, '$3 == "cpu-migrations" { print $1 }' "$dir/perf-stat.csv")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$n" "$threads" "$load" "$secs" \
        "$switches" "$migrations" "$(( $(steal) - steal0 ))" | tee -a "$OUT/runs.tsv"
}

{ date; "$FG" --version 2>/dev/null || true; git -C "$repo" log --oneline -1; uptime; } >"$OUT/machine.txt"
printf 'kind\trun\tthreads\tload\tepoch1_s\tepoch2_s\tswitches\tmigrations\tsteal_jiffies\n' >"$OUT/runs.tsv"
wait_quiet
{ echo "start: $(date +%T) $(busy)"; } >>"$OUT/machine.txt"
for i in $(seq 1 "$T1_RUNS"); do run t1-before "$i" 1; done
for i in $(seq 1 "$RUNS"); do run t2 "$i" 2; done
for i in $(seq 1 "$T1_RUNS"); do run t1-after "$i" 1; done
{ echo "end: $(date +%T) $(busy)"; uptime; } >>"$OUT/machine.txt"

python3 - "$OUT/runs.tsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
t1 = [float(r[e]) for r in rows if r["threads"] == "1" for e in ("epoch1_s", "epoch2_s")]
t2 = [(r, float(r["epoch1_s"]), float(r["epoch2_s"])) for r in rows if r["threads"] == "2"]
ref = statistics.median(t1)
e1 = sorted(x for _, x, _ in t2); e2 = sorted(x for _, _, x in t2)
q = lambda xs: f"min {xs[0]:.3f}  median {statistics.median(xs):.3f}  max {xs[-1]:.3f}"
print(f"one thread: {len(t1)} epochs, {q(sorted(t1))} s")
print(f"two threads, epoch 1: {q(e1)} s;  epoch 2: {q(e2)} s  ({len(t2)} runs)")
slow = [(r["run"], a, b) for r, a, b in t2 if max(a, b) > ref]
print(f"two-thread runs with an epoch slower than the one-thread median {ref:.3f} s: {len(slow)} {slow}")
loads = [float(r["load"]) for r in rows]
print(f"1-minute load at the runs' starts: {min(loads):.2f}-{max(loads):.2f}")
PY
echo "results in $OUT"

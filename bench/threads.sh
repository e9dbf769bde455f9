#!/usr/bin/env bash
# The two-thread check of issue 12: RUNS consecutive `ferrograd train --epochs 2 --threads 2`
# runs on real MNIST, with one-thread runs before and after them as the reference. For every
# run: its epoch times, the 1-minute load when it started, how busy the CPUs were in the second
# before and after it (other programs), the pool's tuner decisions (FERROGRAD_TUNER_LOG), and the
# process's context switches and CPU migrations (perf stat, software events).
#
#   bench/threads.sh [RUNS]          # default 20 two-thread runs, 3 one-thread runs each side
#
# Not part of the tests or CI: it needs a quiet 2-core machine and takes about 3 minutes. It
# waits (at most WAIT_MAX seconds, default 3600) until the 1-minute load is below 0.5 and the
# CPUs are idle, then runs the batch; when another program gets busy during it (more than 10% of
# the CPUs in the second before or after a run), the batch is not counted and run again from the
# start, at most TRIES times (default 5). With BASE set to another ferrograd binary (main's, say),
# every two-thread run of FG is followed by one of BASE, for a comparison in the same conditions.
# With PAIRED=1, every two-thread run is followed by a one-thread run of FG (`t1-pair-N`), and
# each two-thread epoch is also compared with the same epoch of that run: a slow state of the
# machine that lasts a few seconds then weighs on both sides of the comparison.
# Environment: FG (default target/release/ferrograd), BASE, DATA (default ../shared/data/mnist),
# OUT (default /tmp/fg-threads-<time>), T1_RUNS (default 3).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-20}
T1_RUNS=${T1_RUNS:-3}
FG=${FG:-$repo/target/release/ferrograd}
BASE=${BASE:-}
PAIRED=${PAIRED:-}
DATA=${DATA:-$repo/../shared/data/mnist}
OUT=${OUT:-/tmp/fg-threads-$(date +%H%M%S)}
WAIT_MAX=${WAIT_MAX:-3600}
TRIES=${TRIES:-5}
[[ -x $FG ]] || { echo "missing $FG (cargo build --release -p ferrograd-cli)" >&2; exit 1; }
mkdir -p "$OUT"

# Percent of both CPUs busy over one second.
busy_percent() {
    local a b
    a=($(grep '^cpu ' /proc/stat)); sleep 1; b=($(grep '^cpu ' /proc/stat))
    local total=0 idle i
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    idle=$((b[4] + b[5] - a[4] - a[5]))
    echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
load() { cut -d' ' -f1 /proc/loadavg; }
wait_quiet() {
    local start=$SECONDS
    until awk -v l="$(load)" 'BEGIN { exit !(l < 0.5) }' && (( $(busy_percent) < 5 )); do
        (( SECONDS - start > WAIT_MAX )) && { echo "not quiet after ${WAIT_MAX}s" >&2; exit 1; }
        sleep 15
    done
}

# run DIR LABEL BINARY THREADS: one 2-epoch run; appends a line to DIR/runs.tsv
run() {
    local out=$1 label=$2 bin=$3 threads=$4 dir="$1/$2" before after load
    mkdir -p "$dir"
    before=$(busy_percent); load=$(load)
    FERROGRAD_TUNER_LOG=1 perf stat -x, -o "$dir/perf-stat.csv" \
        -e task-clock,context-switches,cpu-migrations \
        "$bin" train --data "$DATA" --epochs 2 --threads "$threads" --out "$dir/run" \
        >"$dir/stdout.txt" 2>"$dir/tuner.txt"
    after=$(busy_percent)
    local secs switches migrations
    secs=$(awk -F, 'NR > 1 { printf "%s%s", sep, $NF; sep = "\t" }' "$dir/run/metrics.csv")
    switches=$(awk -F, '$3 == "context-switches" { print $1 }' "$dir/perf-stat.csv")
    migrations=$(awk -F, '$3 == "cpu-migrations" { print $1 }' "$dir/perf-stat.csv")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$threads" "$load" "$before" "$after" \
        "$secs" "$switches" "$migrations" "$(grep -c switched "$dir/tuner.txt" || true)" |
        tee -a "$out/runs.tsv"
}

batch() { # batch DIR
    local out=$1 i
    mkdir -p "$out"
    printf 'run\tthreads\tload\tbusy_before_pct\tbusy_after_pct\tepoch1_s\tepoch2_s\tswitches\tmigrations\ttuner_switches\n' \
        >"$out/runs.tsv"
    for i in $(seq 1 "$T1_RUNS"); do run "$out" "t1-before-$i" "$FG" 1; done
    for i in $(seq 1 "$RUNS"); do
        run "$out" "t2-$i" "$FG" 2
        [[ -n $BASE ]] && run "$out" "base-t2-$i" "$BASE" 2
        [[ -n $PAIRED ]] && run "$out" "t1-pair-$i" "$FG" 1
    done
    for i in $(seq 1 "$T1_RUNS"); do run "$out" "t1-after-$i" "$FG" 1; done
}

{ date; git -C "$repo" log --oneline -1; echo "FG=$FG BASE=$BASE PAIRED=$PAIRED"; } >"$OUT/about.txt"
for try in $(seq 1 "$TRIES"); do
    wait_quiet
    echo "batch $try: start $(date +%T), load $(load)" | tee -a "$OUT/about.txt"
    batch "$OUT/batch-$try"
    disturbed=$(awk -F'\t' 'NR > 1 && ($4 > 10 || $5 > 10)' "$OUT/batch-$try/runs.tsv" | wc -l)
    echo "batch $try: end $(date +%T), $disturbed runs disturbed" | tee -a "$OUT/about.txt"
    (( disturbed == 0 )) && break
done
ln -sfn "batch-$try" "$OUT/counted"

python3 - "$OUT/counted/runs.tsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def epochs(pred):
    return [(r, float(r["epoch1_s"]), float(r["epoch2_s"])) for r in rows if pred(r["run"])]
t1 = sorted(x for _, a, b in epochs(lambda n: n.startswith("t1-") and "pair" not in n)
            for x in (a, b))
pairs = {r["run"].removeprefix("t1-pair-"): (a, b) for r, a, b in epochs(lambda n: "pair" in n)}
ref_median, ref_fastest = statistics.median(t1), t1[0]
def summary(name, runs):
    if not runs:
        return
    e1, e2 = sorted(a for _, a, _ in runs), sorted(b for _, _, b in runs)
    q = lambda xs: f"min {xs[0]:.3f}  median {statistics.median(xs):.3f}  max {xs[-1]:.3f}"
    print(f"{name}: {len(runs)} runs; epoch 1: {q(e1)} s; epoch 2: {q(e2)} s")
    for what, ref in (("fastest", ref_fastest), ("median", ref_median)):
        slow = [r["run"] for r, a, b in runs if max(a, b) > ref]
        print(f"  runs with an epoch slower than the {what} one-thread epoch ({ref:.3f} s): "
              f"{len(slow)} {slow}")
    paired = [(r["run"], (a, b), pairs[r["run"].removeprefix("t2-")]) for r, a, b in runs
              if r["run"].removeprefix("t2-") in pairs]
    if paired:
        slow = [f"{n} ({a:.3f}, {b:.3f} against {c:.3f}, {d:.3f})"
                for n, (a, b), (c, d) in paired if a > c or b > d]
        ratios = sorted(x / y for _, two, one in paired for x, y in zip(two, one))
        print(f"  paired with the one-thread run right after: two-thread epoch / one-thread epoch "
              f"min {ratios[0]:.3f}  median {statistics.median(ratios):.3f}  max {ratios[-1]:.3f}; "
              f"runs with an epoch slower than its pair's: {len(slow)} {slow}")
print(f"one thread: {len(t1)} epochs, min {t1[0]:.3f}  median {ref_median:.3f}  max {t1[-1]:.3f} s")
summary("two threads", epochs(lambda n: n.startswith("t2-")))
summary("two threads, BASE", epochs(lambda n: n.startswith("base-t2-")))
loads = [float(r["load"]) for r in rows]
busy = [max(int(r["busy_before_pct"]), int(r["busy_after_pct"])) for r in rows]
print(f"1-minute load at the runs' starts {min(loads):.2f}-{max(loads):.2f} (the batch's own runs"
      f" raise it); CPUs busy in the second before/after a run: at most {max(busy)}%")
PY
echo "results in $OUT/counted"

#!/usr/bin/env bash
# Reproduces the one-epoch comparison in BENCHMARKS.md: ferrograd beside the reference programs in
# ../shared/bench (NumPy original design, PyTorch, JAX, candle, burn), interleaved, same session.
#
# Not part of the tests or CI. It runs for ~10 minutes and needs a quiet 2-core machine.
#
# usage: bench/compare.sh [--setup] [REPS]        (REPS: rounds, default 3)
#   --setup   copy ../shared/bench/rust-peers to $PEERS and build it (~15 min on 2 cores);
#             create the Python venv $PYENV with numpy, jax, torch (~4 GB, torch is the CUDA build).
# ferrograd runs as "ferrograd t1" and "ferrograd t2" (train --threads 1 / --threads 2, one binary).
# environment:
#   SHARED=../shared   PEERS=/tmp/peers   PYENV=/tmp/pyenv
#   OUT=/tmp/fg-compare-<time>   (raw logs, runs.tsv, summary.txt)
#   WAIT_MAX=1200  seconds to wait for the machine to go quiet (load < 1.2, no compiler running)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$repo/../shared}
SHARED=$(cd "$SHARED" && pwd)
PEERS=${PEERS:-/tmp/peers}
PYENV=${PYENV:-/tmp/pyenv}
OUT=${OUT:-/tmp/fg-compare-$(date +%Y%m%d-%H%M%S)}
WAIT_MAX=${WAIT_MAX:-1200}
DATA=$SHARED/data/mnist
PYDIR=$SHARED/bench/python

if [[ ${1:-} == --setup ]]; then
  shift
  if [[ ! -x $PEERS/target/release/burn-mlp ]]; then
    rm -rf "$PEERS" && cp -r "$SHARED/bench/rust-peers" "$PEERS" && chmod -R u+w "$PEERS"
    (cd "$PEERS" && cargo build --release)
  fi
  if [[ ! -x $PYENV/bin/python ]]; then
    python3 -m venv "$PYENV"
    "$PYENV/bin/pip" install numpy jax torch threadpoolctl
  fi
fi
REPS=${1:-3}

(cd "$repo" && cargo build --release -p ferrograd-cli)
FG=$repo/target/release/ferrograd
PY=$PYENV/bin/python
for f in "$FG" "$PEERS/target/release/candle-mlp" "$PEERS/target/release/burn-mlp" "$PY"; do
  [[ -x $f ]] || { echo "missing $f (run with --setup)" >&2; exit 1; }
done
mkdir -p "$OUT"

busy() { # prints why the machine is busy, nothing when quiet
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  awk -v l="$load" 'BEGIN { exit !(l >= 1.2) }' && echo "load $load"
  ps -eo comm= | grep -qxE 'rustc|cargo|cc1|cc1plus|ld|clang' && echo "compiler running"
  return 0
}
waited=0
while [[ -n $(busy) ]]; do
  (( waited >= WAIT_MAX )) && { echo "still busy after ${WAIT_MAX}s: $(busy); measuring anyway" >&2; break; }
  echo "busy ($(busy)), waiting 60 s" >&2; sleep 60; waited=$((waited + 60))
done
{ date; uptime; top -bn1 | head -15; } >"$OUT/machine-before.txt"

T1=(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1)
XLA1="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
NOCORE=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE) # numpy only, see the machine notes
CANDLE=$PEERS/target/release/candle-mlp
BURN=$PEERS/target/release/burn-mlp

names=("ferrograd t1" "candle t1" "burn-ndarray t1" "burn-flex t1" "numpy-f32 t1" "numpy-f64 t1"
       "torch-f32 t1" "jax-f32 t1" "ferrograd t2" "candle t2" "burn-ndarray t2" "burn-flex t2"
       "numpy-f32 t2" "numpy-f64 t2" "torch-f32 t2" "jax-f32 t2")

run() { # run NAME RUNDIR TIMEFILE: one epoch of configuration NAME, under /usr/bin/time
  local d=(--data "$DATA" --epochs 1) tm=(/usr/bin/time -o "$3" -f '%e %U %S %M')
  case $1 in
    "ferrograd t"?) rm -rf "$2"; "${tm[@]}" "$FG" train "${d[@]}" --threads "${1: -1}" --out "$2" ;;
    "candle t"?) "${tm[@]}" "$CANDLE" "${d[@]}" --threads "${1: -1}" ;;
    "burn-ndarray t"?) "${tm[@]}" "$BURN" "${d[@]}" --backend ndarray --threads "${1: -1}" ;;
    "burn-flex t"?) "${tm[@]}" "$BURN" "${d[@]}" --backend flex --threads "${1: -1}" ;;
    "numpy-f32 t1") "${tm[@]}" env "${NOCORE[@]}" "${T1[@]}" "$PY" "$PYDIR/seed_reference.py" "${d[@]}" --dtype float32 ;;
    "numpy-f64 t1") "${tm[@]}" env "${NOCORE[@]}" "${T1[@]}" "$PY" "$PYDIR/seed_reference.py" "${d[@]}" --dtype float64 ;;
    "numpy-f32 t2") "${tm[@]}" env "${NOCORE[@]}" "$PY" "$PYDIR/seed_reference.py" "${d[@]}" --dtype float32 ;;
    "numpy-f64 t2") "${tm[@]}" env "${NOCORE[@]}" "$PY" "$PYDIR/seed_reference.py" "${d[@]}" --dtype float64 ;;
    "torch-f32 t1") "${tm[@]}" env "${T1[@]}" "$PY" "$PYDIR/torch_mlp.py" "${d[@]}" --dtype float32 ;;
    "torch-f32 t2") "${tm[@]}" "$PY" "$PYDIR/torch_mlp.py" "${d[@]}" --dtype float32 ;;
    "jax-f32 t1") "${tm[@]}" env XLA_FLAGS="$XLA1" "$PY" "$PYDIR/jax_mlp.py" "${d[@]}" --dtype float32 ;;
    "jax-f32 t2") "${tm[@]}" "$PY" "$PYDIR/jax_mlp.py" "${d[@]}" --dtype float32 ;;
  esac
}

printf 'config\tround\tepoch_s\ts_per_100\twall_s\tuser_s\tsys_s\tmaxrss_kb\n' >"$OUT/runs.tsv"
for round in $(seq "$REPS"); do
  for name in "${names[@]}"; do
    log="$OUT/${name// /_}.$round.log" rundir="$OUT/${name// /_}.$round.run"
    run "$name" "$rundir" "$log.time" >"$log" 2>&1 || { echo "FAILED: $name (see $log)" >&2; continue; }
    if [[ $name == ferrograd* ]]; then # the training loop's time, from metrics.csv
      s=$(awk -F, 'NR == 2 { print $5 }' "$rundir/metrics.csv")
      p=$(awk -v s="$s" 'BEGIN { printf "%.4f", s * 100 / 1875 }')
    else
      s=$(sed -n 's/.*epoch_s \([0-9.]*\).*/\1/p' "$log" | head -1)
      p=$(sed -n 's/.*s_per_100_batches \([0-9.]*\).*/\1/p' "$log" | head -1)
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "$s" "$p" "$(tail -1 "$log.time" | tr ' ' '\t')" \
      | tee -a "$OUT/runs.tsv"
  done
done
{ date; uptime; } >"$OUT/machine-after.txt"

"$FG" bench --json >"$OUT/bench.json" # 1 and 2 threads
/usr/bin/time -v "$FG" train --data "$DATA" --epochs 1 --out "$OUT/fg-rss" >"$OUT/rss.log" 2>&1

python3 - "$OUT" <<'PY' | tee "$OUT/summary.txt"
import csv, json, statistics as st, sys
out = sys.argv[1]
runs = {}
for r in csv.DictReader(open(f"{out}/runs.tsv"), delimiter="\t"):
    if r["epoch_s"]:
        runs.setdefault(r["config"], []).append(r)
med = lambda rows, f: st.median(f(r) for r in rows)
fg = med(runs["ferrograd t1"], lambda r: float(r["epoch_s"]))
print(f"{'config':22} {'median s':>9} {'/fg t1':>8} {'cpu/wall':>9} {'rss MiB':>8}  epoch_s of each run")
for name, rows in runs.items():
    m = med(rows, lambda r: float(r["epoch_s"]))
    cpu = med(rows, lambda r: (float(r["user_s"]) + float(r["sys_s"])) / float(r["wall_s"]))
    rss = med(rows, lambda r: float(r["maxrss_kb"]) / 1024)
    each = " ".join(r["epoch_s"] for r in rows)
    print(f"{name:22} {m:9.3f} {m / fg:8.2f} {cpu:9.2f} {rss:8.0f}  {each}")
for f in ("bench.json",):
    try:
        b = json.load(open(f"{out}/{f}"))
    except FileNotFoundError:
        continue
    g = b["recipe"]["gflop_per_epoch"]
    for r in b["runs"]:
        p, st_ = r["gemm_peak_gflops"], r["recipe"]
        print(f"{f}: threads {r['threads']}: GEMM peak {p:.1f} GFLOP/s, recipe step "
              f"{st_['us_per_step']:.1f} us ({st_['gflops']:.1f} GFLOP/s, {st_['fraction_of_peak']:.2f} "
              f"of peak, gemm share {st_['gemm_share']:.2f}); GEMM bound {g:.1f} GFLOP / peak = {g / p:.3f} s")
        for c in r["sweep"]:
            print(f"    batch {c['batch']:4} hidden {c['hidden']:5}: {c['us_per_step']:9.1f} us/step "
                  f"{c['gflops']:6.1f} GFLOP/s  {c['fraction_of_peak']:.2f} of peak")
for line in open(f"{out}/rss.log"):
    if "Maximum resident" in line:
        print("ferrograd train --epochs 1:", line.strip())
PY
echo "raw results in $OUT"

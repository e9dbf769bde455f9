#!/usr/bin/env bash
# CI, the proof beyond the tests (issue 12): the library's tests under AddressSanitizer, the
# thread pool's and the products' tests under ThreadSanitizer, Miri over the pool and the
# portable code paths (x86-64 without its vector kernels, and 32-bit i686), and each
# cargo-fuzz target (the loaders, the shape operations, serve's request handling) for 30 s from
# seed corpora this script generates. Installs what it needs
# (a nightly toolchain with rust-src and miri, cargo-fuzz) when missing. In a fresh clone on two
# cores with the toolchain installed, 2026-12-06 (`4b5ae65`): ASan 5.2 min, TSan 2.4, Miri 4.7,
# the fuzz build (the `serve` target compiles the CLI's dependencies with ASan) 3.3, the five fuzz
# runs 5 at 60 s each (109,000 to 284,000 executions per target); all of CI 40 min, hence 30 s
# each since.
#
#   bash .ci/proof.sh                  # everything
#   FUZZ_SECONDS=600 bash .ci/proof.sh fuzz     # one part: asan, tsan, miri or fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
NIGHTLY="${NIGHTLY:-nightly}"
HOST=x86_64-unknown-linux-gnu
FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
PARTS="${*:-asan tsan miri fuzz}"
# Sanitized builds go to their own folders, so they neither rebuild nor disturb target/.
TARGET_BASE="${PROOF_TARGET_DIR:-$PWD/target/proof}"

step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

step "toolchain: $NIGHTLY with rust-src and miri, cargo-fuzz"
# Installed when missing; an installed one is kept as it is (not updated), with the two
# components added if they are not there yet.
if rustup run "$NIGHTLY" rustc --version >/dev/null 2>&1; then
    rustup component add --toolchain "$NIGHTLY" rust-src miri
else
    rustup toolchain install "$NIGHTLY" --profile minimal -c rust-src,miri
fi
cargo "+$NIGHTLY" --version
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

# Left out under the sanitizers: the compile-fail check (trybuild runs cargo on the nightly
# toolchain, whose messages differ from the stable ones the test expects; it runs no code).
SKIP=(--skip internal_kernel_entries_do_not_compile_outside_the_crate)

for part in $PARTS; do
    case "$part" in
    asan)
        # The whole library test suite (unit and integration tests), optimised but with debug
        # assertions and overflow checks. `ferrograd_sanitizer` lets a test make an allowance for
        # what the sanitizer itself changes (tests/leaks.rs: peak RSS under ASan's quarantine).
        step "AddressSanitizer: cargo test -p ferrograd (lib and integration tests)"
        RUSTFLAGS="-Zsanitizer=address --cfg ferrograd_sanitizer=\"address\"" \
        CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true \
        ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1" \
            cargo "+$NIGHTLY" test --release -p ferrograd --target "$HOST" \
            --target-dir "$TARGET_BASE/asan" --lib --tests -- "${SKIP[@]}"
        ;;
    tsan)
        # The pool's and the products' tests: std rebuilt with TSan too, so its atomics and
        # thread handling are seen.
        step "ThreadSanitizer: the pool, products and threads tests"
        tsan() {
            RUSTFLAGS="-Zsanitizer=thread --cfg ferrograd_sanitizer=\"thread\"" \
            TSAN_OPTIONS="halt_on_error=1" \
                cargo "+$NIGHTLY" test -Zbuild-std --release -p ferrograd --target "$HOST" \
                --target-dir "$TARGET_BASE/tsan" "$@"
        }
        tsan --lib -- kernels::
        tsan --test threads --test soundness -- "${SKIP[@]}"
        ;;
    miri)
        # The pool (threads, atomics, the raw job pointer) and the product code on x86-64, where
        # Miri detects no vector instructions and so runs the portable paths; and the same on
        # i686, a 32-bit target that builds `kernels/portable.rs` instead of `x86/`. (criterion,
        # a dev-dependency, compiles a C file that needs only the compiler's own headers there.)
        # Not the tuner's tests (arithmetic on a made-up clock, hundreds of thousands of jobs
        # each) nor `fast_math`'s (exp and tanh against libm at millions of points): no unsafe
        # code, and minutes per test in Miri.
        step "Miri: the pool and the portable product paths (x86_64, i686)"
        export CFLAGS_i686_unknown_linux_gnu=-ffreestanding
        for target in "$HOST" i686-unknown-linux-gnu; do
            # The pool's helper threads live as long as the process, by design: Miri would
            # report them (and what they hold) as leaked when the tests end.
            MIRIFLAGS="-Zmiri-ignore-leaks" \
                cargo "+$NIGHTLY" miri test -p ferrograd --target "$target" \
                --target-dir "$TARGET_BASE/miri" --lib -- kernels:: --skip kernels::pool::tuner:: \
                --skip kernels::fast_math::
        done
        ;;
    fuzz)
        # Each target (`cargo fuzz list`: idx_raw, idx_gzip, checkpoint, shapes, serve) from the
        # seeds for FUZZ_SECONDS. A crash, a leak, an input that takes more than 10 s, or an
        # allocation past what the input backs (the targets' rules abort there) fails the step;
        # the input is left in fuzz/artifacts/TARGET/ and printed in hex. `serve` answers over a
        # loopback socket from a server thread that lives for the whole run.
        step "fuzz: seed corpora, then each target for ${FUZZ_SECONDS} s"
        python3 fuzz/make_seeds.py
        scratch=$(mktemp -d)
        trap 'rm -rf "$scratch"' EXIT
        cd fuzz
        cargo "+$NIGHTLY" fuzz build
        for target in $(cargo "+$NIGHTLY" fuzz list); do
            step "fuzz $target"
            log="$scratch/$target.log"
            if ! TMPDIR="$scratch" cargo "+$NIGHTLY" fuzz run "$target" "corpus/$target" -- \
                -max_total_time="$FUZZ_SECONDS" -max_len=4096 -timeout=10 -print_final_stats=1 \
                >"$log" 2>&1; then
                tail -n 60 "$log"
                for input in artifacts/"$target"/*; do
                    [[ -f $input ]] && { echo "$input:"; od -An -tx1 -v "$input" | head -n 20; }
                done
                echo "fuzz target $target failed" >&2
                exit 1
            fi
            grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log"
        done
        cd ..
        ;;
    *)
        echo "unknown part $part (asan, tsan, miri, fuzz)" >&2
        exit 2
        ;;
    esac
done
echo "proof passed: $PARTS"

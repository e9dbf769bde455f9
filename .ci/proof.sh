#!/usr/bin/env bash
# CI, the proof beyond the tests (issue 12): the library's tests under AddressSanitizer, the
# thread pool's and the products' tests under ThreadSanitizer, Miri over the pool and the
# portable code paths (x86-64 without its vector kernels, and big-endian s390x), and each
# cargo-fuzz target for 60 s from seed corpora this script generates. Installs what it needs
# (a nightly toolchain with rust-src and miri, cargo-fuzz) when missing. About 20 minutes on
# two cores, installs included.
#
#   bash .ci/proof.sh                  # everything
#   FUZZ_SECONDS=600 bash .ci/proof.sh fuzz     # one part: asan, tsan, miri or fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
NIGHTLY="${NIGHTLY:-nightly}"
HOST=x86_64-unknown-linux-gnu
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
PARTS="${*:-asan tsan miri fuzz}"
# Sanitized builds go to their own folders, so they neither rebuild nor disturb target/.
TARGET_BASE="${PROOF_TARGET_DIR:-$PWD/target/proof}"

step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

step "toolchain: $NIGHTLY with rust-src and miri, cargo-fuzz"
rustup toolchain install "$NIGHTLY" --profile minimal -c rust-src,miri >/dev/null 2>&1 ||
    rustup toolchain install "$NIGHTLY" --profile minimal -c rust-src,miri
cargo "+$NIGHTLY" --version
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

# Tests left out under every sanitizer and Miri: compile-fail checks (trybuild runs cargo on
# the nightly toolchain, whose messages differ from the stable ones the test expects), and the
# real-MNIST tests, which need the data set and take minutes when instrumented.
SKIP=(--skip internal_kernel_entries_do_not_compile_outside_the_crate --skip real_mnist)

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
        RUSTFLAGS="-Zsanitizer=thread --cfg ferrograd_sanitizer=\"thread\"" \
        TSAN_OPTIONS="halt_on_error=1" \
            cargo "+$NIGHTLY" test -Zbuild-std --release -p ferrograd --target "$HOST" \
            --target-dir "$TARGET_BASE/tsan" --lib --test threads --test soundness \
            -- "${SKIP[@]}" kernels:: threads soundness
        ;;
    miri)
        # The pool (threads, atomics, the raw job pointer) and the product code on x86-64, where
        # Miri detects no vector instructions and so runs the portable paths; and the same on
        # s390x, a big-endian target that builds `kernels/portable.rs` instead of `x86/`.
        step "Miri: the pool and the portable product paths (x86_64, s390x)"
        for target in "$HOST" s390x-unknown-linux-gnu; do
            MIRIFLAGS="-Zmiri-num-cpus=2" \
                cargo "+$NIGHTLY" miri test -p ferrograd --target "$target" \
                --target-dir "$TARGET_BASE/miri" --lib -- kernels::
        done
        ;;
    fuzz)
        step "fuzz: seed corpora, then each target for ${FUZZ_SECONDS} s"
        python3 fuzz/make_seeds.py
        scratch=$(mktemp -d)
        trap 'rm -rf "$scratch"' EXIT
        (
            cd fuzz
            cargo "+$NIGHTLY" fuzz build
            for target in $(cargo "+$NIGHTLY" fuzz list); do
                step "fuzz $target"
                TMPDIR="$scratch" cargo "+$NIGHTLY" fuzz run "$target" "corpus/$target" -- \
                    -max_total_time="$FUZZ_SECONDS" -max_len=4096 -print_final_stats=1 2>&1 |
                    grep -E '^(#[0-9]+.*(INITED|DONE|pulse)|stat::|==|SUMMARY|thread|Done)' ||
                    { echo "fuzz target $target failed"; exit 1; }
            done
        )
        ;;
    *)
        echo "unknown part $part (asan, tsan, miri, fuzz)" >&2
        exit 2
        ;;
    esac
done
echo "proof passed: $PARTS"

#!/usr/bin/env bash
# CI for the browser (issue 11): builds the page, trains a 1-epoch model, and runs the page's
# tests in Debian's headless Chromium against `ferrograd serve`. Installs what is missing:
# chromium and chromium-driver (apt), the wasm32 target, wasm-bindgen-cli, the npm packages.
# Screenshots of each panel are kept in web/artifacts/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
export MNIST_DIR="${MNIST_DIR:-$(cd .. && pwd)/shared/data/mnist}"
export CARGO_TERM_COLOR=never
started=$(date +%s)
step() { printf '\n== web: %s (%s)\n' "$1" "$(date +%T)"; }

step "chromium"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
chromium --version

step "build the page (web/build.sh)"
bash web/build.sh

step "a 1-epoch model for the page"
cargo build --release --quiet -p ferrograd-cli
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
target/release/ferrograd train --epochs 1 --seed 0 --data "$MNIST_DIR" --out "$run" | tail -1

step "the page in headless Chromium (node --test web/tests/)"
export FERROGRAD_MODEL="$run/model.safetensors" FERROGRAD_BIN="$PWD/target/release/ferrograd"
export ARTIFACTS="$PWD/web/artifacts"
rm -rf "$ARTIFACTS"
(cd web && node --test tests/)
ls "$ARTIFACTS"
echo "web CI passed in $(( $(date +%s) - started )) s; screenshots in web/artifacts/"

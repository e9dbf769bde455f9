#!/usr/bin/env bash
# Builds the page into web/dist/: ferrograd-web compiled to WebAssembly (with SIMD128), its
# JavaScript bindings, and the page's files. Installs what it needs when missing: the wasm32
# target (rustup), wasm-bindgen-cli at the version in Cargo.lock, and the npm packages the tests
# use (npm ci). Usage: bash web/build.sh
set -euo pipefail
web="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$web/.." && pwd)"
cd "$root"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "build.sh: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen's command-line tool must match the crate's version exactly.
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ -z "$version" ]; then echo "build.sh: no wasm-bindgen in Cargo.lock" >&2; exit 1; fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
  echo "build.sh: installing wasm-bindgen-cli $version"
  # --locked first; where the registry lacks a crate of the tool's lockfile (a partial mirror
  # can), fall back to resolving its dependencies afresh.
  cargo install wasm-bindgen-cli --version "$version" --locked ||
    cargo install wasm-bindgen-cli --version "$version"
fi

if [ ! -d "$web/node_modules" ] || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
  (cd "$web" && npm ci --no-audit --no-fund)
fi

# SIMD128 lets LLVM vectorise the element-wise loops and the matrix products' kernels.
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+simd128" \
  cargo build --release --target wasm32-unknown-unknown -p ferrograd-web
rm -rf "$web/dist"
mkdir -p "$web/dist"
wasm-bindgen --target web --no-typescript --out-dir "$web/dist/pkg" \
  target/wasm32-unknown-unknown/release/ferrograd_web.wasm
cp "$web/index.html" "$web/style.css" "$web/main.js" "$web/worker.js" "$web/dist/"
echo "build.sh: built $(du -sh "$web/dist" | cut -f1) into web/dist/"

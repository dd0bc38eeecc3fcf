#!/usr/bin/env bash
# Runs every fuzz target in turn with the libFuzzer options given, e.g.
#   fuzz/run.sh -runs=2000             (CI: a short, fixed number of iterations)
#   fuzz/run.sh -max_total_time=600    (a long run before a release)
# Only stable Rust is available here; RUSTC_BOOTSTRAP=1 lets cargo fuzz pass its nightly flags.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in $(cargo fuzz list); do
  if ! cargo fuzz run -O "$target" -- "$@" >"$log" 2>&1; then
    tail -60 "$log"
    echo "fuzz: $target FAILED (the crashing input is under fuzz/artifacts/$target/)"
    exit 1
  fi
  echo "fuzz: $target $* -> $(grep -E '^Done' "$log")"
done

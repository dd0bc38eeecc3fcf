#!/usr/bin/env bash
# monban against the floor (a minimal actix-web "hello JSON" binary, same release profile), Debian's
# nginx and oidc-provider (the certified Node.js provider): cold start, memory, JWKS and discovery
# throughput, a sign-in's CPU cost per algorithm, token verification (with PyJWT for reference) and
# the image size. Prints one table of goals and ratios (docs/performance.md).
#
#   bash bench/run.sh                              # full run: about 5 minutes after the builds
#   RUNS=5 WRK_DURATION=3s LOGINS=100 bash bench/run.sh
#
# Installs what it needs (wrk, nginx, oidc-provider from npm, PyJWT), builds the release binaries,
# starts every contender on 127.0.0.1 only and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk || ! need nginx || ! need openssl; then
  echo "bench: installing wrk, nginx and openssl from Debian..." >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light openssl >/dev/null 2>&1 \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx openssl >/dev/null
fi
(cd bench/oidc-provider && npm ci --silent --no-audit --no-fund)
python3 -m pip install -q --disable-pip-version-check "pyjwt[crypto]" requests

cargo build --release --quiet -p monban -p hello-actix
# monban-verify against bare jsonwebtoken::decode, paired rounds; compare.py reads the JSON lines.
cargo bench --quiet -p monban-verify --bench verify >target/bench-verify.jsonl 2>/dev/null \
  || { echo "bench: cargo bench -p monban-verify failed" >&2; exit 1; }

exec python3 bench/compare.py

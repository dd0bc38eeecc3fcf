#!/usr/bin/env bash
# monban's start-up, memory and JWKS throughput, next to Debian's nginx serving the same JSON.
#
#   bash bench/run.sh            # full run (about 2 minutes after the release build)
#   WRK_DURATION=5s RUNS=10 bash bench/run.sh
#
# Installs what it needs (wrk, nginx) from Debian, builds the release binary, starts each
# contender on 127.0.0.1 only, measures, stops everything it started, and prints one table.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-20}
WRK_DURATION=${WRK_DURATION:-10s}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-1}
MONBAN_PORT=${MONBAN_PORT:-18431}
NGINX_PORT=${NGINX_PORT:-18432}

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk || ! need nginx; then
  echo "installing wrk and nginx from Debian..." >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null 2>&1 \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx >/dev/null
fi

cargo build --release --quiet
BIN=$PWD/target/release/monban
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" keygen --dir "$WORK/keys" --alg RS256 >/dev/null
export MONBAN_ISSUER="http://127.0.0.1:$MONBAN_PORT" MONBAN_KEYS_DIR="$WORK/keys" \
       MONBAN_UPSTREAM__CLIENT_ID=bench MONBAN_UPSTREAM__CLIENT_SECRET=bench \
       MONBAN_LOG_FORMAT=json RUST_LOG=warn PORT=$MONBAN_PORT

# 1. Cold start: exec until the first 200 on the JWKS, median of $RUNS; idle RSS of the last run.
COLD=$(python3 - "$BIN" "$MONBAN_PORT" "$RUNS" <<'PY'
import http.client, statistics, subprocess, sys, time, signal
binary, port, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
times, rss = [], 0
for i in range(runs):
    start = time.perf_counter()
    proc = subprocess.Popen([binary, "serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/.well-known/jwks.json")
            if c.getresponse().status == 200:
                break
        except OSError:
            if time.perf_counter() - start > 10:
                sys.exit("monban did not start within 10 s")
            time.sleep(0.0005)
    times.append((time.perf_counter() - start) * 1000)
    if i == runs - 1:
        time.sleep(0.5)  # let it settle before reading idle memory
        for line in open(f"/proc/{proc.pid}/status"):
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    proc.send_signal(signal.SIGTERM)
    proc.wait()
print(f"{statistics.median(times):.1f} {min(times):.1f} {max(times):.1f} {rss:.1f}")
PY
)
read -r COLD_MED COLD_MIN COLD_MAX IDLE_RSS <<<"$COLD"

# 2. Throughput and p99 on the JWKS, monban against nginx serving the identical bytes.
"$BIN" serve >/dev/null 2>&1 &
PIDS+=($!)
MONBAN_PID=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$MONBAN_PORT/healthz" >/dev/null && break; sleep 0.05; done
mkdir -p "$WORK/www/.well-known"
curl -sf "http://127.0.0.1:$MONBAN_PORT/.well-known/jwks.json" >"$WORK/www/.well-known/jwks.json"
cat >"$WORK/nginx.conf" <<NGINX
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    location / { add_header Cache-Control "public, max-age=900"; etag on; }
  }
}
NGINX
mkdir -p "$WORK/tmp"
nginx -c "$WORK/nginx.conf"
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$NGINX_PORT/.well-known/jwks.json" >/dev/null && break; sleep 0.05; done

wrk_run() { # url -> "requests_per_sec p99_ms"
  wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency "$1" | python3 -c '
import re, sys
text = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", text).groups()
p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
print(f"{rps:.0f} {p99:.2f}")'
}
read -r M_RPS M_P99 <<<"$(wrk_run "http://127.0.0.1:$MONBAN_PORT/.well-known/jwks.json")"
read -r N_RPS N_P99 <<<"$(wrk_run "http://127.0.0.1:$NGINX_PORT/.well-known/jwks.json")"
LOADED_RSS=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$MONBAN_PID/status")
SIZE=$(stat -c %s "$WORK/www/.well-known/jwks.json")

python3 - <<PY
rows = [
    ("cold start to first JWKS 200, median of $RUNS (ms)", "$COLD_MED", "", "min $COLD_MIN, max $COLD_MAX"),
    ("idle RSS (MiB)", "$IDLE_RSS", "", ""),
    ("RSS after the wrk run (MiB)", "$LOADED_RSS", "", f"{$LOADED_RSS / $IDLE_RSS:.2f}x idle"),
    ("JWKS throughput, $WRK_CONNECTIONS conns (req/s)", "$M_RPS", "$N_RPS", f"{$M_RPS / $N_RPS:.2f}x nginx"),
    ("JWKS p99 latency (ms)", "$M_P99", "$N_P99", f"{$M_P99 / $N_P99:.2f}x nginx"),
]
print(f"JWKS: $SIZE bytes; wrk $WRK_THREADS thread(s), $WRK_DURATION; monban and nginx 2 workers each, on $(nproc) cores")
print(f"| {'measure':<48} | {'monban':>8} | {'nginx':>8} | {'ratio or spread':>22} |")
print(f"|{'-'*50}|{'-'*10}|{'-'*10}|{'-'*24}|")
for name, m, n, r in rows:
    print(f"| {name:<48} | {m:>8} | {n:>8} | {r:>22} |")
PY

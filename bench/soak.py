#!/usr/bin/env python3
"""Soak: complete sign-ins against several monban instances at once, for a bounded time.

    python3 bench/soak.py                      # 3 instances, 8 workers, 120 s
    SOAK_SECONDS=600 SOAK_INSTANCES=4 python3 bench/soak.py

Builds the release binary, starts one mock Google (`monban mock-upstream`) and SOAK_INSTANCES
`monban serve` processes on 127.0.0.1 that share keys, clients and issuer (as Cloud Run
instances do), then runs SOAK_WORKERS threads, each looping over one complete sign-in whose every
step goes to the next instance in turn:

    authorize -> login -> mock upstream -> callback -> authorize (SSO) -> token (code)
    -> userinfo -> token (refresh)

It reports requests, errors, latency percentiles per step and the RSS of each instance after
start-up, after a warm-up (the first tenth of the run) and at the end, then stops everything it
started. The per-address rate limit is off (MONBAN_RATE_LIMIT_PER_MINUTE=0): all traffic comes
from one address. The last line says how many errors there were; the exit code is 1 if any.
"""

import base64
import hashlib
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import requests

SECONDS = float(os.environ.get("SOAK_SECONDS", "120"))
INSTANCES = int(os.environ.get("SOAK_INSTANCES", "3"))
WORKERS = int(os.environ.get("SOAK_WORKERS", "8"))
BASE_PORT = int(os.environ.get("SOAK_PORT", "18531"))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "monban")
CLIENT = "http://127.0.0.1:9/wiki/callback"
CLIENTS_TOML = f"""
[[clients]]
id = "wiki"
secret = "soak-secret"
redirect_uris = ["{CLIENT}"]
"""


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_healthy(port, proc):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"monban on port {port} exited with {proc.returncode}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.05)
    sys.exit(f"monban on port {port} did not become healthy")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = {}
        self.errors = []
        self.logins = 0

    def record(self, step, seconds):
        with self.lock:
            self.latency.setdefault(step, []).append(seconds * 1000)

    def error(self, message):
        with self.lock:
            self.errors.append(message)


def sign_in(ports, turn, stats):
    """One complete sign-in; each request goes to the next instance."""
    session = requests.Session()
    counter = [turn]

    def at(url):
        parts = urllib.parse.urlsplit(url)
        port = ports[counter[0] % len(ports)]
        counter[0] += 1
        return urllib.parse.urlunsplit(("http", f"127.0.0.1:{port}", parts.path, parts.query, ""))

    def step(name, method, url, expect, **kwargs):
        started = time.perf_counter()
        response = session.request(method, url, allow_redirects=False, timeout=10, **kwargs)
        stats.record(name, time.perf_counter() - started)
        if response.status_code != expect:
            raise RuntimeError(f"{name}: {response.status_code} {response.text[:200]}")
        return response

    def next_url(response, base):
        return urllib.parse.urljoin(base, response.headers["location"])

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({
        "client_id": "wiki", "redirect_uri": CLIENT, "response_type": "code",
        "scope": "openid email profile", "state": secrets.token_hex(8), "nonce": secrets.token_hex(8),
        "code_challenge": challenge, "code_challenge_method": "S256",
    })
    issuer = f"http://127.0.0.1:{ports[0]}"
    r = step("authorize", "GET", at(f"{issuer}/authorize?{query}"), 303)
    r = step("login", "GET", at(next_url(r, issuer)), 303)
    google = urllib.parse.urlsplit(r.headers["location"])
    choose = urllib.parse.urlunsplit(google._replace(path="/authorize/as", query="user=ada&" + google.query))
    r = step("upstream", "GET", choose, 303)
    r = step("callback", "GET", at(r.headers["location"]), 303)
    r = step("authorize_sso", "GET", at(next_url(r, issuer)), 303)
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["location"]).query)["code"][0]
    auth = ("wiki", "soak-secret")
    r = step("token_code", "POST", at(f"{issuer}/token"), 200, auth=auth, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CLIENT,
        "code_verifier": verifier,
    })
    tokens = r.json()
    step("userinfo", "GET", at(f"{issuer}/userinfo"), 200,
         headers={"authorization": f"Bearer {tokens['access_token']}"})
    step("token_refresh", "POST", at(f"{issuer}/token"), 200, auth=auth, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
    })


def worker(ports, index, deadline, stats):
    turn = index
    while time.monotonic() < deadline:
        try:
            sign_in(ports, turn, stats)
            with stats.lock:
                stats.logins += 1
        except Exception as e:  # noqa: BLE001 - every failure is counted and reported
            stats.error(str(e))
        turn += 1


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="monban-soak-")
    procs = []
    try:
        mock = subprocess.Popen([BIN, "mock-upstream"], stdout=subprocess.PIPE, text=True)
        procs.append(mock)
        _, _, upstream, client_id, client_secret = mock.stdout.readline().split()
        subprocess.run([BIN, "keygen", "--dir", f"{work}/keys"], check=True, stdout=subprocess.DEVNULL)
        with open(f"{work}/monban.toml", "w") as f:
            f.write(CLIENTS_TOML)
        ports = [BASE_PORT + i for i in range(INSTANCES)]
        env = dict(os.environ, MONBAN_ISSUER=f"http://127.0.0.1:{ports[0]}", MONBAN_KEYS_DIR=f"{work}/keys",
                   MONBAN_CONFIG=f"{work}/monban.toml", MONBAN_UPSTREAM__ISSUER=upstream,
                   MONBAN_UPSTREAM__CLIENT_ID=client_id, MONBAN_UPSTREAM__CLIENT_SECRET=client_secret,
                   MONBAN_ALLOWED_DOMAINS="lab.example.org", MONBAN_RATE_LIMIT_PER_MINUTE="0",
                   MONBAN_LOG_FORMAT="json", RUST_LOG="warn")
        instances = []
        for port in ports:
            proc = subprocess.Popen([BIN, "serve"], env=dict(env, PORT=str(port)),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(proc)
            wait_healthy(port, proc)
            instances.append((port, proc))
        rss_start = {port: rss_mib(proc.pid) for port, proc in instances}

        stats = Stats()
        started = time.monotonic()
        deadline = started + SECONDS
        threads = [threading.Thread(target=worker, args=(ports, i, deadline, stats)) for i in range(WORKERS)]
        for t in threads:
            t.start()
        time.sleep(SECONDS / 10)
        rss_warm = {port: rss_mib(proc.pid) for port, proc in instances}
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        rss_end = {port: rss_mib(proc.pid) for port, proc in instances}

        requests_total = sum(len(v) for v in stats.latency.values())
        print(f"soak: {INSTANCES} instances, {WORKERS} workers, {elapsed:.0f} s, "
              f"{stats.logins} complete sign-ins, {requests_total} requests "
              f"({requests_total / elapsed:.0f} req/s), {len(stats.errors)} errors")
        print(f"{'step':<14} {'count':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for name, values in stats.latency.items():
            print(f"{name:<14} {len(values):>7} {statistics.median(values):>8.2f} "
                  f"{percentile(values, 90):>8.2f} {percentile(values, 99):>8.2f} {max(values):>8.2f}")
        print(f"{'instance':<14} {'RSS start':>10} {'warm':>8} {'end':>8} {'end-warm':>9}")
        for port, _ in instances:
            print(f"127.0.0.1:{port:<5}   {rss_start[port]:>8.1f}Mi {rss_warm[port]:>6.1f}Mi "
                  f"{rss_end[port]:>6.1f}Mi {rss_end[port] - rss_warm[port]:>+8.1f}Mi")
        for message in stats.errors[:5]:
            print(f"error: {message}")
        print(f"soak result: {len(stats.errors)} errors in {requests_total} requests")
        return 1 if stats.errors else 0
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())

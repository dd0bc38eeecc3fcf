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

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from flows import MONBAN, ROOT, rss_mib, sign_in, start_mock, start_monbans

SECONDS = float(os.environ.get("SOAK_SECONDS", "120"))
INSTANCES = int(os.environ.get("SOAK_INSTANCES", "3"))
WORKERS = int(os.environ.get("SOAK_WORKERS", "8"))
BASE_PORT = int(os.environ.get("SOAK_PORT", "18531"))


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


def worker(ports, index, deadline, stats):
    turn = index
    while time.monotonic() < deadline:
        try:
            sign_in(ports, turn, stats.record)
            with stats.lock:
                stats.logins += 1
        except Exception as e:  # noqa: BLE001 - every failure is counted and reported
            stats.error(str(e))
        turn += 1


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "monban"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="monban-soak-")
    procs = []
    try:
        mock, upstream_env = start_mock()
        procs.append(mock)
        subprocess.run([MONBAN, "keygen", "--dir", f"{work}/keys"], check=True, stdout=subprocess.DEVNULL)
        ports = [BASE_PORT + i for i in range(INSTANCES)]
        monbans = start_monbans(work, ports, upstream_env)
        procs.extend(monbans)
        instances = list(zip(ports, monbans))
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

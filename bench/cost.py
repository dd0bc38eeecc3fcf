"""What monban costs on Cloud Run for 30, 300 and 3,000 users, from measured CPU and bytes.

Measures, on the release binary with RS256 (the default) and the mock Google as another process,
monban's own CPU time (schedstat, bench/flows.py) and the response bytes of one complete sign-in
and of one refresh, as the median over blocks. Then applies the traffic model of
docs/performance.md per active user and working day (one sign-in, two single sign-ons, 24
refreshes, three /userinfo) and Cloud Run's published prices, and prints the table of
docs/deploy.md, "What it costs".

    cargo build --release && python3 bench/cost.py
"""

import os
import statistics
import subprocess
import tempfile

import requests

from flows import CLIENT_ID, CLIENT_SECRET, MONBAN, STEPS, cpu_ns, sign_in, start_mock, start_monbans

PORT = int(os.environ.get("BENCH_PORT", "18531"))
BLOCKS, BLOCK = 15, 20
LOGIN_STEPS = STEPS[:STEPS.index("token_code") + 1]

# Per active user and working day (docs/performance.md): requests of each kind.
SIGN_INS, SSO, REFRESHES, USERINFO = 1, 2, 24, 3
REQUESTS_PER_DAY = SIGN_INS * 5 + SSO * 2 + REFRESHES + USERINFO
DAYS = 22
# Cloud Run, request-based billing, tier 1 (Tokyo), per month; free tier per billing account.
FREE_REQUESTS, PRICE_PER_MILLION = 2_000_000, 0.40
FREE_VCPU_S, PRICE_VCPU_S = 180_000, 0.000024
FREE_GIB_S, PRICE_GIB_S = 360_000, 0.0000025
MEMORY_GIB = 0.125
EGRESS_PER_GB = 0.12  # Asia to the internet; the free GiB is for North America only
FIXED = {  # per month, whatever the number of users
    "Artifact Registry (images + build cache, 0.5 GB free)": 0.10,
    "Cloud Build (about 20 cached pushes, 4 min each; 2,500 min free)": 0.0,
}
LOAD_BALANCER = 0.025 * 730  # one forwarding rule, $0.025 an hour


def measure():
    work = tempfile.mkdtemp(prefix="monban-cost-")
    subprocess.run([MONBAN, "keygen", "--dir", f"{work}/keys"], check=True, stdout=subprocess.DEVNULL)
    mock, upstream_env = start_mock()
    (monban,) = start_monbans(work, [PORT], upstream_env)
    issuer = f"http://127.0.0.1:{PORT}"
    sizes = []
    try:
        for n in range(20):  # warm-up: connections, discovery, JWKS caches
            sign_in([PORT], n, lambda *_: None, LOGIN_STEPS)
        login, refresh = [], []
        tokens = None
        for _ in range(BLOCKS):
            before = cpu_ns(monban.pid)
            for n in range(BLOCK):
                sign_in([PORT], n, lambda *_: None, LOGIN_STEPS)
            login.append((cpu_ns(monban.pid) - before) / BLOCK / 1e6)
            if tokens is None:
                tokens = sign_in([PORT], 0, lambda *_: None, LOGIN_STEPS)
            before = cpu_ns(monban.pid)
            for _ in range(BLOCK):
                r = requests.post(f"{issuer}/token", auth=(CLIENT_ID, CLIENT_SECRET), timeout=10, data={
                    "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
                r.raise_for_status()
                tokens = r.json()
                sizes.append(len(r.content))
            refresh.append((cpu_ns(monban.pid) - before) / BLOCK / 1e6)
    finally:
        monban.terminate()
        mock.terminate()
    return statistics.median(login), statistics.median(refresh), statistics.median(sizes)


def table(login_ms, refresh_ms, refresh_bytes):
    # A sign-in is about 5 responses of pages and redirects, ~1 KB each, plus one token response.
    day_bytes = SIGN_INS * (4_000 + refresh_bytes) + (SSO + REFRESHES) * refresh_bytes + USERINFO * 600
    day_cpu_ms = SIGN_INS * login_ms + (SSO + REFRESHES) * refresh_ms + USERINFO * 0.1
    print(f"measured: CPU per sign-in {login_ms:.2f} ms, per refresh {refresh_ms:.2f} ms, "
          f"refresh response {refresh_bytes:.0f} bytes; per user-day {REQUESTS_PER_DAY} requests, "
          f"{day_cpu_ms:.1f} ms CPU, {day_bytes / 1000:.0f} KB")
    print()
    print("| users | requests | vCPU-s worst case (used) | Cloud Run | egress | fixed | total | with the load balancer |")
    print("|---|---|---|---|---|---|---|---|")
    for users in (30, 300, 3000):
        requests_month = users * REQUESTS_PER_DAY * DAYS
        vcpu_s = requests_month * 0.1  # every request billed its own 100 ms slice
        used_s = users * DAYS * day_cpu_ms / 1000
        run = (max(0, requests_month - FREE_REQUESTS) / 1e6 * PRICE_PER_MILLION
               + max(0, vcpu_s - FREE_VCPU_S) * PRICE_VCPU_S
               + max(0, vcpu_s * MEMORY_GIB - FREE_GIB_S) * PRICE_GIB_S)
        egress = users * DAYS * day_bytes / 1e9 * EGRESS_PER_GB
        fixed = sum(FIXED.values())
        total = run + egress + fixed
        print(f"| {users:,} | {requests_month:,} | {vcpu_s:,.0f} ({used_s:,.0f}) | ${run:.2f} | ${egress:.2f} "
              f"| ${fixed:.2f} | **${total:.2f}** | ${total + LOAD_BALANCER:.2f} |")


if __name__ == "__main__":
    table(*measure())

"""What bench/soak.py, bench/compare.py and bench/gate.py share: starting monban and its mock
Google as separate processes on 127.0.0.1, one complete sign-in as a browser and a sibling service
make it, reading a process's memory and CPU time from /proc, a wrk run, and Debian's nginx."""

import base64
import hashlib
import html
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.parse

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MONBAN = os.environ.get("BENCH_MONBAN_BIN", os.path.join(ROOT, "target", "release", "monban"))
CLIENT_ID = "wiki"
CLIENT_SECRET = "bench-secret"
REDIRECT_URI = "http://127.0.0.1:9/wiki/callback"
CLIENTS_TOML = f"""
[[clients]]
id = "{CLIENT_ID}"
secret = "{CLIENT_SECRET}"
redirect_uris = ["{REDIRECT_URI}"]
"""
# Every step of a complete sign-in, in order.
STEPS = ("authorize", "login", "upstream", "callback", "authorize_sso", "token_code",
         "userinfo", "token_refresh")


def rss_mib(pid):
    """Resident memory of a process, in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_ns(pid):
    """User + system CPU time of a process's live threads so far, in ns, from each thread's
    /proc/PID/task/TID/schedstat: exact, where /proc/PID/stat counts 10 ms clock ticks."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as schedstat:
                total += int(schedstat.read().split()[0])
        except FileNotFoundError:  # the thread ended between listing and reading
            pass
    return total


def wait_for(url, proc, timeout=30):
    """Polls `url` until it answers 200; exits if the process dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{proc.args} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.02)
    sys.exit(f"{url} did not answer 200 within {timeout} s")


def serve_env(port, keys):
    """The environment `monban serve` needs on `port` to serve its well-known documents, as the
    idle measurements run it (bench/compare.py): keys from `keys`, JSON logs, and an upstream
    client that is never called."""
    return dict(os.environ, PORT=str(port), MONBAN_ISSUER=f"http://127.0.0.1:{port}",
                MONBAN_KEYS_DIR=keys, MONBAN_UPSTREAM__CLIENT_ID="bench",
                MONBAN_UPSTREAM__CLIENT_SECRET="bench", MONBAN_LOG_FORMAT="json")


def start_mock():
    """`monban mock-upstream`: returns the process and the environment monban needs to use it."""
    mock = subprocess.Popen([MONBAN, "mock-upstream"], stdout=subprocess.PIPE, text=True)
    _, _, issuer, client_id, client_secret = mock.stdout.readline().split()
    return mock, {"MONBAN_UPSTREAM__ISSUER": issuer, "MONBAN_UPSTREAM__CLIENT_ID": client_id,
                  "MONBAN_UPSTREAM__CLIENT_SECRET": client_secret}


def start_monbans(work, ports, upstream_env, extra=None):
    """`monban serve` on each port, sharing keys (in work/keys), clients and one issuer, as
    Cloud Run instances do. The rate limit is off: all load comes from one address."""
    with open(f"{work}/monban.toml", "w") as f:
        f.write(CLIENTS_TOML)
    env = dict(os.environ, MONBAN_ISSUER=f"http://127.0.0.1:{ports[0]}",
               MONBAN_KEYS_DIR=f"{work}/keys", MONBAN_CONFIG=f"{work}/monban.toml",
               MONBAN_ALLOWED_DOMAINS="lab.example.org", MONBAN_RATE_LIMIT_PER_MINUTE="0",
               MONBAN_LOG_FORMAT="json", **upstream_env)
    env.update(extra or {})
    procs = []
    for port in ports:
        proc = subprocess.Popen([MONBAN, "serve"], env=dict(env, PORT=str(port)),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        wait_for(f"http://127.0.0.1:{port}/healthz", proc)
    return procs


def sign_in(ports, turn, record, steps=STEPS):
    """One complete sign-in as user ada, each request to the next instance in turn; `record(step,
    seconds)` gets each step's latency. Raises on any unexpected answer. `steps` may stop early
    (e.g. after `token_code`). Returns the token response of the code."""
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
        record(name, time.perf_counter() - started)
        if response.status_code != expect:
            raise RuntimeError(f"{name}: {response.status_code} {response.text[:200]}")
        return response

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code",
        "scope": "openid email profile", "state": secrets.token_hex(8), "nonce": secrets.token_hex(8),
        "code_challenge": challenge, "code_challenge_method": "S256",
    })
    issuer = f"http://127.0.0.1:{ports[0]}"
    r = step("authorize", "GET", at(f"{issuer}/authorize?{query}"), 200)
    # "Sign in to <app>": the person presses the Google button.
    href = html.unescape(re.search(r'id="continue" href="([^"]+)"', r.text)[1])
    r = step("login", "GET", at(urllib.parse.urljoin(issuer, href)), 303)
    google = urllib.parse.urlsplit(r.headers["location"])
    choose = urllib.parse.urlunsplit(google._replace(path="/authorize/as", query="user=ada&" + google.query))
    r = step("upstream", "GET", choose, 303)
    r = step("callback", "GET", at(r.headers["location"]), 303)
    r = step("authorize_sso", "GET", at(urllib.parse.urljoin(issuer, r.headers["location"])), 303)
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["location"]).query)["code"][0]
    auth = (CLIENT_ID, CLIENT_SECRET)
    r = step("token_code", "POST", at(f"{issuer}/token"), 200, auth=auth, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    })
    tokens = r.json()
    if "userinfo" not in steps:
        return tokens
    step("userinfo", "GET", at(f"{issuer}/userinfo"), 200,
         headers={"authorization": f"Bearer {tokens['access_token']}"})
    step("token_refresh", "POST", at(f"{issuer}/token"), 200, auth=auth, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
    })
    return tokens


WRK_DURATION = os.environ.get("WRK_DURATION", "10s")
WRK_CONNECTIONS = os.environ.get("WRK_CONNECTIONS", "32")


def wrk(url, headers=()):
    """(requests/s, p99 ms, requests) of one wrk run (1 thread); exits if any answer was not 2xx
    or 3xx."""
    cmd = ["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{WRK_DURATION}", "--latency"]
    for header in headers:
        cmd += ["-H", header]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out:
        sys.exit(f"{url} answered errors:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out).groups()
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], total


def start_nginx(work, http):
    """Debian's nginx with 2 workers, everything under `work`, `http` inside its http block."""
    conf = f"""worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {work}/tmp; proxy_temp_path {work}/tmp; fastcgi_temp_path {work}/tmp;
  uwsgi_temp_path {work}/tmp; scgi_temp_path {work}/tmp;
{http}
}}
"""
    os.makedirs(f"{work}/tmp", exist_ok=True)
    with open(f"{work}/nginx.conf", "w") as f:
        f.write(conf)
    subprocess.run(["nginx", "-c", f"{work}/nginx.conf"], check=True)

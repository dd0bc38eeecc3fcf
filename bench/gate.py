"""What `monban gate` costs in front of an app, side by side with nginx.

One app (bench/hello serving a 2 KB page, HTTP/1.1 keep-alive) served three ways on this machine:
directly, through Debian's nginx (`proxy_pass` with upstream keep-alive), and through the gate with
a signed-in cookie. wrk measures throughput and p99 of each, in three alternating rounds; the
table gives the medians and the gate's ratios to nginx, the gate's CPU per proxied request, and
its memory. Then the CPU of a renewal (the gate renewing an expired access token at monban: both
processes' CPU, past that of a plain proxied request) against the CPU of a whole sign-in through
the gate (monban's and the gate's; the mock Google's left out).

    cargo build --release -p monban -p hello-actix && python3 bench/gate.py

Needs wrk and nginx (`bash bench/run.sh` installs both). Everything listens on 127.0.0.1 and is
stopped at the end.
"""

import html
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flows import (MONBAN, ROOT, WRK_CONNECTIONS, WRK_DURATION, cpu_ns, rss_mib,  # noqa: E402
                   start_mock, start_nginx, wait_for, wrk)

HELLO = os.path.join(ROOT, "target", "release", "hello-actix")
SECRET = "DDWpQgde_2tuFStCu4bg9LNSJ1FVKzW7l3sBkWX7kfg"
ROUNDS = int(os.environ.get("ROUNDS", "3"))
RENEWALS = int(os.environ.get("RENEWALS", "200"))
SIGN_INS = int(os.environ.get("SIGN_INS", "100"))
PORT = int(os.environ.get("BENCH_PORT", "18480"))
procs = []


def spawn(cmd, env):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    procs.append(proc)
    return proc


def start_nginx_proxy(work, port, app_port):
    """Debian's nginx as a reverse proxy in front of the app, as a lab would configure it."""
    start_nginx(work, f"""  upstream app {{ server 127.0.0.1:{app_port}; keepalive 32; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
    }}
  }}""")


def monban_and_gate(work, name, ports, app_url, upstream_env, extra):
    """monban on ports[0] with the gate's client, and a gate on ports[1] in front of `app_url`."""
    issuer, gate_url = f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}"
    os.makedirs(f"{work}/{name}", exist_ok=True)
    with open(f"{work}/{name}/monban.toml", "w") as f:
        f.write(f'[[clients]]\nid = "notebooks"\nsecret = "gate-secret"\n'
                f'redirect_uris = ["{gate_url}/_monban/callback"]\n')
    monban = spawn([MONBAN, "serve"], dict(
        os.environ, PORT=str(ports[0]), MONBAN_ISSUER=issuer, MONBAN_KEYS_DIR=f"{work}/keys",
        MONBAN_CONFIG=f"{work}/{name}/monban.toml", MONBAN_ALLOWED_DOMAINS="lab.example.org",
        MONBAN_LOG_FORMAT="json", MONBAN_RATE_LIMIT_PER_MINUTE="0", **upstream_env, **extra))
    wait_for(f"{issuer}/healthz", monban)
    gate_env = {k: v for k, v in os.environ.items() if not k.startswith("MONBAN_")}
    gate = spawn([MONBAN, "gate"], dict(
        gate_env, PORT=str(ports[1]), MONBAN_GATE__ISSUER=issuer, MONBAN_GATE__CLIENT_ID="notebooks",
        MONBAN_GATE__CLIENT_SECRET="gate-secret", MONBAN_GATE__URL=gate_url,
        MONBAN_GATE__UPSTREAM=app_url, MONBAN_GATE__SESSION_SECRETS=SECRET))
    wait_for(f"{gate_url}/_monban/healthz", gate)
    return monban, gate, issuer, gate_url


def sign_in(issuer, gate_url):
    """ada signs in through the gate as a browser does; returns the browser's cookies for it."""
    browser = requests.Session()
    r = browser.get(f"{gate_url}/", headers={"Accept": "text/html"}, allow_redirects=False)
    r = browser.get(urllib.parse.urljoin(gate_url, r.headers["location"]), allow_redirects=False)
    r = browser.get(r.headers["location"], allow_redirects=False)  # monban's "Sign in to"
    href = html.unescape(re.search(r'id="continue" href="([^"]+)"', r.text)[1])
    r = browser.get(urllib.parse.urljoin(issuer, href), allow_redirects=False)
    google = urllib.parse.urlsplit(r.headers["location"])
    r = browser.get(urllib.parse.urlunsplit(google._replace(
        path="/authorize/as", query="user=ada&" + google.query)), allow_redirects=False)
    for _ in range(3):  # monban's callback, its authorize, the gate's callback
        r = browser.get(urllib.parse.urljoin(issuer, r.headers["location"]), allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/", r.status_code
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies
                     if c.name.startswith("monban_gate") and c.value)


def cpu_ms(procs_, work):
    """CPU (ms) that `procs_` spend on `work()`."""
    before = sum(cpu_ns(p.pid) for p in procs_)
    work()
    return (sum(cpu_ns(p.pid) for p in procs_) - before) / 1e6


def renewal_and_sign_in(work, app_url, upstream_env, plain_ms):
    """CPU per renewal and per sign-in (monban's and the gate's), with access tokens of 1 s; a
    renewal's is what it costs past a plain proxied request (`plain_ms`)."""
    monban, gate, issuer, gate_url = monban_and_gate(
        work, "short", (PORT + 3, PORT + 4), app_url, upstream_env,
        {"MONBAN_ACCESS_TOKEN_TTL_SECS": "1"})
    both = (monban, gate)
    per_sign_in = cpu_ms(both, lambda: [sign_in(issuer, gate_url) for _ in range(SIGN_INS)])
    cookie = sign_in(issuer, gate_url)
    plain = requests.Session()
    time.sleep(1.5)  # the token expires; every request below carries it, so each one renews

    def renew_all():
        for _ in range(RENEWALS):
            r = plain.get(f"{gate_url}/", headers={"Cookie": cookie})
            assert r.status_code == 200 and "monban_gate_token" in r.headers.get("set-cookie", "")
    renewing = cpu_ms(both, renew_all)
    return renewing / RENEWALS - plain_ms, per_sign_in / SIGN_INS


def main():
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"bench/gate.py needs {tool}: apt-get install wrk nginx (bash bench/run.sh does)")
    work = tempfile.mkdtemp()
    subprocess.run([MONBAN, "keygen", "--dir", f"{work}/keys"], check=True, capture_output=True)
    with open(f"{work}/page.html", "wb") as f:
        f.write(b"<html><body>" + b"x" * 2000 + b"</body></html>")
    mock, upstream_env = start_mock()
    procs.append(mock)
    app_port, nginx_port = PORT + 5, PORT + 6
    hello = spawn([HELLO], dict(os.environ, PORT=str(app_port), HELLO_JSON=f"{work}/page.html"))
    app_url = f"http://127.0.0.1:{app_port}"
    try:
        start_nginx_proxy(work, nginx_port, app_port)
        monban, gate, issuer, gate_url = monban_and_gate(
            work, "main", (PORT, PORT + 1), app_url, upstream_env, {})
        wait_for(f"{app_url}/", hello)
        idle = rss_mib(gate.pid)
        cookie = sign_in(issuer, gate_url)
        assert requests.get(f"{gate_url}/", headers={"Cookie": cookie}).status_code == 200
        runs = {"direct": [], "nginx": [], "gate": []}
        gate_cpu_us = []
        for _ in range(ROUNDS):  # alternating, so drift on a shared machine hits all three
            runs["direct"].append(wrk(f"{app_url}/"))
            runs["nginx"].append(wrk(f"http://127.0.0.1:{nginx_port}/"))
            before = cpu_ns(gate.pid)
            result = wrk(f"{gate_url}/", [f"Cookie: {cookie}"])
            gate_cpu_us.append((cpu_ns(gate.pid) - before) / result[2] / 1000)
            runs["gate"].append(result)
        after = rss_mib(gate.pid)
        plain = requests.Session()
        plain_ms = cpu_ms((monban, gate), lambda: [
            plain.get(f"{gate_url}/", headers={"Cookie": cookie}) for _ in range(RENEWALS)])
        renewal, one_sign_in = renewal_and_sign_in(
            work, app_url, upstream_env, plain_ms / RENEWALS)
    finally:
        subprocess.run(["nginx", "-c", f"{work}/nginx.conf", "-s", "stop"], capture_output=True)
        for proc in procs:
            proc.terminate()
    med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v))
           for k, v in runs.items()}
    rps_ratio, p99_ratio = med["gate"][0] / med["nginx"][0], med["gate"][1] / med["nginx"][1]
    print(f"machine: {os.cpu_count()} cores; wrk 1 thread, {WRK_CONNECTIONS} connections, "
          f"{WRK_DURATION} per run, medians of {ROUNDS} alternating rounds; the app: hello-actix, "
          "a 2 KB page")
    rows = [
        ("throughput (req/s)", f"{med['direct'][0]:.0f}", f"{med['nginx'][0]:.0f}",
         f"{med['gate'][0]:.0f}", f"{rps_ratio:.2f}x nginx", ">= 0.8x nginx", rps_ratio >= 0.8),
        ("p99 (ms)", f"{med['direct'][1]:.2f}", f"{med['nginx'][1]:.2f}", f"{med['gate'][1]:.2f}",
         f"{p99_ratio:.2f}x nginx", "<= 1.5x nginx", p99_ratio <= 1.5),
        ("gate CPU per proxied request (us)", "", "", f"{statistics.median(gate_cpu_us):.0f}",
         "", "(for reference)", True),
        ("CPU per renewal, gate + monban (ms)", "", "", f"{renewal:.2f}",
         f"{renewal / one_sign_in:.2f}x a sign-in", "< 1 sign-in", renewal < one_sign_in),
        ("CPU per sign-in, gate + monban (ms)", "", "", f"{one_sign_in:.2f}", "", "(for reference)",
         True),
        ("gate RSS idle / after the runs (MiB)", "", "", f"{idle:.1f} / {after:.1f}", "",
         "(for reference)", True),
    ]
    header = ("goal", "direct", "nginx", "gate", "ratio", "target", "met")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(6)]
    def line(r):
        met = {True: "yes", False: "no"}.get(r[6], r[6])
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(r[:6], widths)) + f" | {met} |"
    print(line(header))
    print("| " + " | ".join("-" * w for w in widths) + " | --- |")
    for r in rows:
        print(line(r))
    missed = sum(1 for r in rows if r[6] is False)
    print(f"goals missed: {missed}")


if __name__ == "__main__":
    main()

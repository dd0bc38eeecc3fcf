"""What `monban gate` costs in front of an app: its idle memory, and its CPU and added latency per
proxied request, against the app asked directly. Starts the mock Google, monban, a small app and
the gate as separate processes on 127.0.0.1, signs ada in through the gate as a browser does, then
asks for the same page N times through the gate and N times directly.

    cargo build --release && python3 bench/gate.py [N]
"""

import html
import http.server
import os
import re
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flows import MONBAN, cpu_ns, rss_mib, start_mock, wait_for  # noqa: E402

SECRET = "DDWpQgde_2tuFStCu4bg9LNSJ1FVKzW7l3sBkWX7kfg"


class App(http.server.BaseHTTPRequestHandler):
    # HTTP/1.1 with keep-alive, as app servers speak; BENCH_HTTP10=1 makes it an old-style
    # HTTP/1.0 server (a connection per request), which the gate must cope with too.
    protocol_version = "HTTP/1.0" if os.environ.get("BENCH_HTTP10") else "HTTP/1.1"
    wbufsize = 65536

    def do_GET(self):  # noqa: N802
        body = b"<html><body>" + b"x" * 2000 + b"</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    work = tempfile.mkdtemp()
    subprocess.run([MONBAN, "keygen", "--dir", f"{work}/keys"], check=True, capture_output=True)
    mock, upstream_env = start_mock()
    app = socketserver.ThreadingTCPServer(("127.0.0.1", 0), App)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    app_url = f"http://127.0.0.1:{app.server_address[1]}"
    monban_port, gate_port = 18480, 18481
    issuer, gate_url = f"http://127.0.0.1:{monban_port}", f"http://127.0.0.1:{gate_port}"
    with open(f"{work}/monban.toml", "w") as f:
        f.write(f'[[clients]]\nid = "notebooks"\nsecret = "gate-secret"\n'
                f'redirect_uris = ["{gate_url}/_monban/callback"]\n')
    monban = subprocess.Popen([MONBAN, "serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(
        os.environ, PORT=str(monban_port), MONBAN_ISSUER=issuer, MONBAN_KEYS_DIR=f"{work}/keys",
        MONBAN_CONFIG=f"{work}/monban.toml", MONBAN_ALLOWED_DOMAINS="lab.example.org",
        MONBAN_LOG_FORMAT="json", **upstream_env))
    wait_for(f"{issuer}/healthz", monban)
    gate_env = {k: v for k, v in os.environ.items() if not k.startswith("MONBAN_")}
    gate = subprocess.Popen([MONBAN, "gate"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(
        gate_env, PORT=str(gate_port), MONBAN_GATE__ISSUER=issuer, MONBAN_GATE__CLIENT_ID="notebooks",
        MONBAN_GATE__CLIENT_SECRET="gate-secret", MONBAN_GATE__URL=gate_url,
        MONBAN_GATE__UPSTREAM=app_url, MONBAN_GATE__SESSION_SECRETS=SECRET))
    try:
        wait_for(f"{gate_url}/_monban/healthz", gate)
        idle = rss_mib(gate.pid)
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
        assert browser.get(f"{gate_url}/").status_code == 200

        def timed(url, session):
            latencies = []
            for _ in range(n):
                started = time.perf_counter()
                r = session.get(url)
                assert r.status_code == 200, (r.status_code, r.text[:200])
                latencies.append(time.perf_counter() - started)
            return latencies

        direct = timed(f"{app_url}/", requests.Session())
        before = cpu_ns(gate.pid)
        through = timed(f"{gate_url}/", browser)
        cpu_us = (cpu_ns(gate.pid) - before) / n / 1000
        print(f"gate idle RSS: {idle:.1f} MiB, after {n} requests: {rss_mib(gate.pid):.1f} MiB")
        print(f"gate CPU per proxied request: {cpu_us:.0f} us")
        print(f"latency median direct {statistics.median(direct) * 1000:.2f} ms, "
              f"through the gate {statistics.median(through) * 1000:.2f} ms")
    finally:
        for proc in (gate, monban, mock):
            proc.terminate()
        app.shutdown()


if __name__ == "__main__":
    main()

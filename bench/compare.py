#!/usr/bin/env python3
"""The measurements of bench/run.sh (which installs and builds what this needs, then runs it):
monban next to the floor (a minimal actix-web "hello JSON" binary, same release profile), Debian's
nginx serving the same JSON, and oidc-provider (the certified Node.js provider, minimal config).
Every contender runs on 127.0.0.1 and is stopped at the end. Prints one table of goals and ratios.
"""

import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import timeit

from flows import (MONBAN, ROOT, STEPS, WRK_CONNECTIONS, WRK_DURATION, cpu_ns, rss_mib, serve_env,
                   sign_in, start_mock, start_monbans, start_nginx, wrk)

HELLO = os.path.join(ROOT, "target", "release", "hello-actix")
NODE_PROVIDER = os.path.join(ROOT, "bench", "oidc-provider", "server.mjs")
RUNS = int(os.environ.get("RUNS", "20"))
LOGINS = int(os.environ.get("LOGINS", "300"))
BLOCK = 10  # sign-ins per measured block (see login_cpu)
PORT = int(os.environ.get("BENCH_PORT", "18431"))
LOGIN_STEPS = STEPS[:STEPS.index("token_code") + 1]

procs = []


def spawn(cmd, env=None, **kwargs):
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    procs.append(proc)
    return proc


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def first_200(port, path, proc, started):
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return (time.perf_counter() - started) * 1000
        except OSError:
            pass
        if proc.poll() is not None or time.perf_counter() - started > 30:
            sys.exit(f"{proc.args} did not serve {path}")
        time.sleep(0.0005)


def cold_starts(contenders):
    """Exec to the first 200, RUNS rounds, each round starting every contender once in turn (so the
    VM's drift hits them alike). `contenders` maps a name to (cmd, env, port, path); returns, per
    name, the list of times in ms and the idle RSS after the last start, read one second later."""
    times = {name: [] for name in contenders}
    rss = {}
    for i in range(RUNS):
        for name, (cmd, env, port, path) in contenders.items():
            started = time.perf_counter()
            proc = spawn(cmd, env)
            times[name].append(first_200(port, path, proc, started))
            if i == RUNS - 1:
                time.sleep(1)
                rss[name] = rss_mib(proc.pid)
            stop(proc)
    return times, rss


def paired_ratio(mine, other):
    """The median of the per-round ratios of two lists of times taken in the same rounds."""
    return statistics.median(m / o for m, o in zip(mine, other))


def nginx(work, port):
    """Debian's nginx serving the very bytes of monban's JWKS and discovery as static files."""
    start_nginx(work, f"""  default_type application/json;
  server {{
    listen 127.0.0.1:{port};
    root {work}/www;
    location / {{ add_header Cache-Control "public, max-age=900"; etag on; }}
  }}""")


def login_cpu(work, algs, upstream_env, first_port):
    """monban's own CPU time per complete sign-in (authorize, login, callback with the code
    exchange, authorize again, token), in ms, per algorithm; the mock upstream is another process.
    One monban per algorithm, all running; sign-ins go to them in turn, BLOCK at a time, and the
    figure is the median over blocks, so the VM's drift hits every algorithm alike and a slow
    moment does not skew the result."""
    monbans = []
    for i, alg in enumerate(algs):
        keys = f"{work}/keys-{alg}"
        subprocess.run([MONBAN, "keygen", "--dir", keys, "--alg", alg], check=True, stdout=subprocess.DEVNULL)
        (proc,) = start_monbans(work, [first_port + i], upstream_env, {"MONBAN_KEYS_DIR": keys})
        procs.append(proc)
        monbans.append((alg, proc, first_port + i))
        for n in range(30):  # warm-up: connections, discovery, JWKS caches
            sign_in([first_port + i], n, lambda *_: None, LOGIN_STEPS)
    blocks = {alg: [] for alg in algs}
    for _ in range(max(1, LOGINS // BLOCK)):
        for alg, proc, port in monbans:
            before = cpu_ns(proc.pid)
            for n in range(BLOCK):
                sign_in([port], n, lambda *_: None, LOGIN_STEPS)
            blocks[alg].append((cpu_ns(proc.pid) - before) / BLOCK / 1e6)
    for _, proc, _ in monbans:
        stop(proc)
    return {alg: statistics.median(per_block) for alg, per_block in blocks.items()}


def rsa_sign_floor_ms():
    """Two RSA-2048 signatures (a sign-in's access and ID token) at `openssl speed`'s rate on this
    CPU: what an RS256 sign-in cannot go below, whatever else it does."""
    out = subprocess.run(["openssl", "speed", "-seconds", "2", "rsa2048"], capture_output=True,
                         text=True, check=True).stdout
    (sign_s,) = re.findall(r"^rsa 2048 bits\s+([0-9.]+)s", out, re.M)
    return 2 * float(sign_s) * 1000


def paired_verify():
    """monban-verify's bench as bench/run.sh saved it: per algorithm, the median µs of each
    contender and the median of the per-round ratios (see monban-verify/benches/verify.rs)."""
    with open(os.path.join(ROOT, "target", "bench-verify.jsonl")) as f:
        lines = [json.loads(line) for line in f if line.startswith("{")]
    return {r["alg"]: (r["verify_ns"] / 1000, r["bare_ns"] / 1000, r["ratio"]) for r in lines}


def pyjwt_us(alg):
    """PyJWT decoding a token with a pre-parsed public key and the same checks, in µs."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    private = {"RS256": lambda: rsa.generate_private_key(65537, 2048),
               "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
               "EdDSA": ed25519.Ed25519PrivateKey.generate}[alg]()
    claims = {"iss": "https://login.example.org", "sub": "110169484474386276334", "aud": "wiki",
              "exp": 4_000_000_000, "iat": 1_700_000_000, "jti": "j", "client_id": "wiki",
              "scope": "openid email profile", "email": "ada@lab.example.org",
              "email_verified": True, "name": "Ada Lovelace", "roles": ["admin"]}
    token = jwt.encode(claims, private, algorithm=alg, headers={"typ": "at+jwt", "kid": "k"})
    public = private.public_key()

    def decode():
        jwt.decode(token, public, algorithms=[alg], audience="wiki", issuer="https://login.example.org")
    n = 2000
    return min(timeit.repeat(decode, number=n, repeat=3)) / n * 1e6


def main():
    work = tempfile.mkdtemp(prefix="monban-bench-")
    # nginx's workers run as nobody: they must read the JWKS and discovery files (mkdtemp makes
    # the folder 0700, and nginx answered every request with 403, which wrk counted as served).
    os.chmod(work, 0o755)
    rows = []
    try:
        subprocess.run([MONBAN, "keygen", "--dir", f"{work}/keys"], check=True, stdout=subprocess.DEVNULL)
        monban_env = serve_env(PORT, f"{work}/keys")
        hello_env = dict(os.environ, PORT=str(PORT))
        node_env = dict(os.environ, PORT=str(PORT))

        # 1-2. Cold start and idle memory.
        cold, idle = cold_starts({
            "monban": ([MONBAN, "serve"], monban_env, PORT, "/.well-known/jwks.json"),
            "hello": ([HELLO], hello_env, PORT, "/.well-known/jwks.json"),
            "node": (["node", NODE_PROVIDER], node_env, PORT, "/jwks"),
        })
        m_cold, h_cold, n_cold = (statistics.median(cold[name]) for name in ("monban", "hello", "node"))

        # 3. Throughput and p99 against nginx and the floor, same bytes, same concurrency.
        monban = spawn([MONBAN, "serve"], monban_env)
        first_200(PORT, "/healthz", monban, time.perf_counter())
        docs = {"jwks": "/.well-known/jwks.json", "discovery": "/.well-known/openid-configuration"}
        os.makedirs(f"{work}/www/.well-known")
        for path in docs.values():
            conn = http.client.HTTPConnection("127.0.0.1", PORT)
            conn.request("GET", path)
            with open(f"{work}/www{path}", "wb") as f:
                f.write(conn.getresponse().read())
        nginx(work, PORT + 1)
        results, served = {}, 0
        for name, path in docs.items():
            hello = spawn([HELLO], dict(hello_env, PORT=str(PORT + 2), HELLO_JSON=f"{work}/www{path}"))
            first_200(PORT + 2, path, hello, time.perf_counter())
            m = wrk(f"http://127.0.0.1:{PORT}{path}")
            n = wrk(f"http://127.0.0.1:{PORT + 1}{path}")
            h = wrk(f"http://127.0.0.1:{PORT + 2}{path}")
            stop(hello)
            served += m[2]
            results[name] = (m, n, h)
        loaded_rss = rss_mib(monban.pid)
        stop(monban)
        with open(f"{work}/nginx.pid") as f:
            os.kill(int(f.read()), signal.SIGTERM)

        # 4. A sign-in's own CPU cost, per algorithm.
        mock, upstream_env = start_mock()
        procs.append(mock)
        cpu = login_cpu(work, ["RS256", "ES256", "EdDSA"], upstream_env, PORT + 3)

        # 5. Verification in sibling services (paired bench run by bench/run.sh) and PyJWT.
        verify = {alg: (*paired, pyjwt_us(alg)) for alg, paired in paired_verify().items()}

        # 6. Image: the distroless base (DISTROLESS_CC_MB, see docs/performance.md) + the binary.
        binary_mb = os.path.getsize(MONBAN) / 1e6
        base_mb = float(os.environ.get("DISTROLESS_CC_MB", "23.5"))

        def row(goal, mine, other, ratio, target, ok):
            rows.append((goal, mine, other, ratio, target, "yes" if ok else "NO"))

        vs_hello = paired_ratio(cold["monban"], cold["hello"])
        row(f"cold start, median of {RUNS} (ms)", f"{m_cold:.1f}", f"hello {h_cold:.1f}",
            f"{vs_hello:.2f}x hello", "<= 1.5x hello", vs_hello <= 1.5)
        vs_node = paired_ratio(cold["node"], cold["monban"])
        row("cold start vs oidc-provider (ms)", f"{m_cold:.1f}", f"node {n_cold:.0f}",
            f"{vs_node:.0f}x faster", ">= 10x faster", vs_node >= 10)
        # Cloud Run bills the memory limit (128 MiB at least), not RSS: a bound, not a race with hello.
        row("idle RSS (MiB)", f"{idle['monban']:.1f}", f"hello {idle['hello']:.1f}",
            f"{idle['monban'] / idle['hello']:.2f}x hello", "<= 10 MiB", idle["monban"] <= 10)
        row(f"RSS after {served:,} requests (MiB)", f"{loaded_rss:.1f}", f"idle {idle['monban']:.1f}",
            f"{loaded_rss / idle['monban']:.2f}x idle", "<= 2x idle", loaded_rss <= 2 * idle["monban"] and served >= 100_000)
        row("idle RSS vs oidc-provider (MiB)", f"{idle['monban']:.1f}", f"node {idle['node']:.1f}",
            f"{idle['node'] / idle['monban']:.0f}x smaller", ">= 7x smaller", idle["node"] >= 7 * idle["monban"])
        for name, (m, n, h) in results.items():
            row(f"{name} throughput (req/s)", f"{m[0]:.0f}", f"nginx {n[0]:.0f}", f"{m[0] / n[0]:.2f}x nginx",
                ">= 0.8x nginx", m[0] >= 0.8 * n[0])
            row(f"{name} p99 (ms)", f"{m[1]:.2f}", f"hello {h[1]:.2f}", f"{m[1] / h[1]:.2f}x hello",
                "<= 1.5x hello", m[1] <= 1.5 * h[1])
            row(f"{name} p99, nginx (ms)", "", f"nginx {n[1]:.2f}", f"{m[1] / n[1]:.2f}x nginx", "(for reference)",
                True)
        floor = rsa_sign_floor_ms()
        for alg, ms in cpu.items():
            goal = "< 2 ms" if alg == "RS256" else "(for reference)"
            other, ratio = (f"2 RSA signs {floor:.2f}", f"{ms / floor:.2f}x floor") if alg == "RS256" else ("", "")
            row(f"CPU per sign-in, {alg} (ms)", f"{ms:.2f}", other, ratio, goal, ms < 2 or alg != "RS256")
        for alg, (mine, bare, ratio, py) in verify.items():
            row(f"verify {alg} (µs)", f"{mine:.1f}", f"bare {bare:.1f}", f"{ratio:.2f}x bare",
                "<= 1.2x bare", ratio <= 1.2)
            row(f"verify {alg}, PyJWT (µs)", "", f"PyJWT {py:.1f}", f"{py / mine:.1f}x monban-verify",
                "(for reference)", True)
        row("image (MB, estimated)", f"{base_mb + binary_mb:.1f}", f"binary {binary_mb:.1f}",
            f"+ distroless/cc {base_mb}", "< 40 MB", base_mb + binary_mb < 40)
    finally:
        for proc in procs:
            if proc.poll() is None:
                stop(proc)

    print(f"machine: {os.cpu_count()} cores; wrk 1 thread, {WRK_CONNECTIONS} connections, {WRK_DURATION} per "
          f"run; monban, hello and nginx 2 workers each; {LOGINS} sign-ins per algorithm")
    widths = [max(len(str(r[i])) for r in rows + [("goal", "monban", "other", "ratio", "target", "met")])
              for i in range(6)]
    header = ("goal", "monban", "other", "ratio", "target", "met")
    for r in [header, tuple("-" * w for w in widths)] + rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    missed = [r[0] for r in rows if r[5] == "NO"]
    print(f"goals missed: {len(missed)}" + (f" ({'; '.join(missed)})" if missed else ""))


if __name__ == "__main__":
    main()

"""A command-line tool that signs its user in through the browser, then calls a sibling API.

It is a public client registered with a loopback redirect without a port,
`redirect_uris = ["http://127.0.0.1/callback"]`: it listens on whatever port it gets and monban
accepts that port (RFC 8252 §7.3). PKCE (S256) stands in for a secret.

    python3 examples/python/cli.py ISSUER CLIENT_ID API_URL            # opens your browser
    python3 examples/python/cli.py ISSUER CLIENT_ID API_URL --as USER  # monban dev: no browser

`--as USER` drives the sign-in as a browser would (monban's "Sign in to <app>" page, then the
mock Google of `monban dev`), for tests and demos.
"""

import html
import http.server
import re
import sys
import threading
import webbrowser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session


def listen():
    """A one-shot HTTP server on a free loopback port; returns it and where its answer lands."""
    received = {}

    class Callback(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            received.update({k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()})
            self.send_response(200)
            self.send_header("content-type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write("Signed in. You can close this tab.\n".encode())

        def log_message(self, *_):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Callback)
    return server, received


def browse_as(url, issuer, user):
    """What a person's browser does: press the Google button, pick the user, follow redirects."""
    browser = requests.Session()
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=5)
        if response.status_code == 200 and url.startswith(issuer):
            href = re.search(r'id="continue" href="([^"]+)"', response.text)
            if href is None:  # the loopback listener's own answer
                return
            url = urljoin(url, html.unescape(href[1]))
        elif response.status_code == 200 and "/authorize?" in url:
            url = url.replace("/authorize?", f"/authorize/as?user={user}&", 1)
        elif response.status_code == 303:
            url = urljoin(url, response.headers["location"])
        else:
            return


def main() -> None:
    issuer, client_id, api = sys.argv[1:4]
    user = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--as" else None
    conf = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
    server, received = listen()
    redirect_uri = f"http://127.0.0.1:{server.server_port}/callback"
    client = OAuth2Session(client_id, scope="openid email profile", redirect_uri=redirect_uri,
                           code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier = generate_token(64)
    url, state = client.create_authorization_url(conf["authorization_endpoint"], code_verifier=verifier)
    waiter = threading.Thread(target=server.handle_request)
    waiter.start()
    if user:
        browse_as(url, issuer, user)
    else:
        print("Opening your browser to sign in:", url)
        webbrowser.open(url)
    waiter.join(timeout=300)
    if received.get("state") != state or "code" not in received:
        raise SystemExit(f"sign-in failed: {received}")
    token = client.fetch_token(conf["token_endpoint"], code=received["code"], code_verifier=verifier)
    answer = requests.get(api, headers={"authorization": f"Bearer {token['access_token']}"}, timeout=5)
    print(f"listened on port {server.server_port}; api answered {answer.status_code}: {answer.text}")


if __name__ == "__main__":
    main()

"""A Python service's back-channel logout endpoint, validating monban's logout tokens with PyJWT.

monban POSTs `logout_token=<JWT>` to the client's `backchannel_logout_uri` when a person who
signed in to it signs out (or the administrator runs `monban sign-out SUB`). The token is
validated as OpenID Connect Back-Channel Logout 1.0 §2.6 says; then the service ends its own
sessions of `sub` (only the one of `sid`, when present). This one serves a single request.

    python3 examples/python/backchannel_logout.py PORT ISSUER CLIENT_ID
"""

import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import jwt

EVENT = "http://schemas.openid.net/event/backchannel-logout"


def validate_logout_token(token: str, issuer: str, client_id: str, jwks: jwt.PyJWKClient) -> dict:
    """The claims of a valid logout token; raises otherwise."""
    if jwt.get_unverified_header(token).get("typ") != "logout+jwt":
        raise ValueError("not a logout token (typ)")
    key = jwks.get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=[key.algorithm_name], audience=client_id,
                        issuer=issuer, options={"require": ["iss", "aud", "iat", "exp", "jti"]})
    if not isinstance(claims.get("events", {}).get(EVENT), dict):
        raise ValueError("no back-channel logout event")
    if "nonce" in claims:
        raise ValueError("a logout token never carries a nonce")
    if "sub" not in claims and "sid" not in claims:
        raise ValueError("names no one")
    # A service that keeps state may also remember `jti` until `exp` to refuse a replay.
    return claims


def main() -> None:
    port, issuer, client_id = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    jwks = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json")

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            token = parse_qs(body).get("logout_token", [""])[0]
            try:
                claims = validate_logout_token(token, issuer, client_id, jwks)
            except (jwt.PyJWTError, ValueError) as e:
                print("refused:", e, flush=True)
                self.send_response(400)
            else:
                print("signed out:", claims["sub"], claims.get("sid", "(every sign-in)"), flush=True)
                self.send_response(200)
            self.send_header("Cache-Control", "no-store")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", port), Receiver)
    print("listening", flush=True)
    server.handle_request()


if __name__ == "__main__":
    main()

"""A Python sibling service's side of monban, end to end, with standard libraries only.

- Authlib's OAuth2Session runs the authorization code flow with PKCE (S256) and client_secret_basic;
- PyJWT's PyJWKClient verifies the access token offline against monban's JWKS (cached, with the
  algorithm taken from the key, never from the token);
- the refresh grant renews the tokens; /userinfo answers for the access token.

Run against `monban dev` (or the test suite's server):

    AUTHLIB_INSECURE_TRANSPORT=1 python3 examples/python/sign_in.py ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI USER

The browser part (clicking through Google) is simulated: the script follows monban's redirects,
presses the Google button of monban's "Sign in to <app>" page, and picks USER on the mock Google's
"sign in as" page, as `monban dev` offers it.
"""

import html
import re
import sys
from urllib.parse import urljoin

import jwt
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session


def verify_access_token(token: str, issuer: str, jwks: jwt.PyJWKClient, audience: str) -> dict:
    """What a protected endpoint of a sibling service does on every request, with no network call
    once the JWKS is cached."""
    if jwt.get_unverified_header(token).get("typ") != "at+jwt":
        raise jwt.InvalidTokenError("not an access token")
    key = jwks.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        key.key,
        algorithms=[key.algorithm_name],  # pinned to the key: never "none", never HS256
        audience=audience,
        issuer=issuer,
        options={"require": ["exp", "iat", "iss", "sub", "aud"]},
        leeway=30,
    )


def main() -> None:
    issuer, client_id, client_secret, redirect_uri, user = sys.argv[1:6]
    conf = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
    assert conf["issuer"] == issuer

    client = OAuth2Session(
        client_id,
        client_secret,
        scope="openid email profile",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = generate_token(64)
    url, state = client.create_authorization_url(
        conf["authorization_endpoint"], nonce=generate_token(20), code_verifier=verifier
    )

    # The browser: follow redirects; on the mock Google's page, pick the user.
    browser = requests.Session()
    for _ in range(10):
        if url.startswith(redirect_uri):
            break
        if not url.startswith(issuer) and "/authorize?" in url:
            url = url.replace("/authorize?", f"/authorize/as?user={user}&", 1)
        response = browser.get(url, allow_redirects=False, timeout=5)
        if response.status_code == 200 and url.startswith(issuer):
            # "Sign in to <app>": the person presses the Google button.
            href = re.search(r'id="continue" href="([^"]+)"', response.text)[1]
            url = urljoin(url, html.unescape(href))
            continue
        assert response.status_code == 303, (url, response.status_code, response.text[:300])
        url = urljoin(url, response.headers["location"])
    else:
        raise SystemExit("too many redirects")

    tokens = client.fetch_token(
        conf["token_endpoint"], authorization_response=url, code_verifier=verifier, state=state
    )
    jwks = jwt.PyJWKClient(conf["jwks_uri"], cache_jwk_set=True, lifespan=900)
    claims = verify_access_token(tokens["access_token"], issuer, jwks, client_id)
    print("signed in:", claims["sub"], claims["email"], claims.get("roles", []))

    # A tampered token is refused.
    head, payload, signature = tokens["access_token"].split(".")
    forged = ".".join([head, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), signature])
    try:
        verify_access_token(forged, issuer, jwks, client_id)
        raise SystemExit("a tampered token was accepted")
    except jwt.InvalidTokenError:
        pass
    # An ID token is not an access token.
    try:
        verify_access_token(tokens["id_token"], issuer, jwks, client_id)
        raise SystemExit("an ID token was accepted as an access token")
    except jwt.InvalidTokenError:
        pass

    info = requests.get(
        conf["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    ).json()
    assert info["sub"] == claims["sub"], info

    refreshed = client.refresh_token(conf["token_endpoint"], refresh_token=tokens["refresh_token"])
    again = verify_access_token(refreshed["access_token"], issuer, jwks, client_id)
    assert again["sub"] == claims["sub"]
    print("refreshed: ok")


if __name__ == "__main__":
    main()

"""A Python service acting as itself (client credentials), with standard libraries only.

- Authlib's OAuth2Session asks monban's token endpoint for a token of the service's own
  (`grant_type=client_credentials`, client_secret_basic), found through discovery;
- PyJWT's PyJWKClient verifies it offline as the called service would: the `sub` is the calling
  service, its roles come from monban's configuration.

    python3 examples/python/service_token.py ISSUER CLIENT_ID CLIENT_SECRET
"""

import sys

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session


def main() -> None:
    issuer, client_id, client_secret = sys.argv[1:4]
    conf = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
    assert "client_credentials" in conf["grant_types_supported"], conf["grant_types_supported"]
    client = OAuth2Session(client_id, client_secret, token_endpoint_auth_method="client_secret_basic")
    token = client.fetch_token(conf["token_endpoint"], grant_type="client_credentials")
    assert "refresh_token" not in token and "id_token" not in token, token

    # The called service: verify offline, with the algorithm taken from the key.
    jwks = jwt.PyJWKClient(conf["jwks_uri"], cache_jwk_set=True, lifespan=900)
    access = token["access_token"]
    assert jwt.get_unverified_header(access)["typ"] == "at+jwt"
    key = jwks.get_signing_key_from_jwt(access)
    claims = jwt.decode(access, key.key, algorithms=[key.algorithm_name], audience=client_id,
                        issuer=issuer, options={"require": ["exp", "iat", "sub", "aud", "iss"]})
    print("service token:", claims["sub"], claims.get("roles", []), repr(claims.get("scope", "")))


if __name__ == "__main__":
    main()

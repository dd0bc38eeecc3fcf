"""A Python service that holds a private key instead of a secret (private_key_jwt, RFC 7523).

- Authlib's PrivateKeyJWT signs a short assertion (iss = sub = the client id, aud = the token
  endpoint, an hour at most) with the service's key, and asks for a token for an API
  (`resource=`, RFC 8707);
- PyJWT verifies it as that API would: its own identifier as the audience.

    python3 examples/python/service_key.py ISSUER CLIENT_ID KEY_PEM_FILE KID API
"""

import sys

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import ECKey  # Authlib's JOSE library; a PEM string alone is read as RSA


def main() -> None:
    issuer, client_id, key_file, kid, api = sys.argv[1:6]
    conf = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
    assert "private_key_jwt" in conf["token_endpoint_auth_methods_supported"]
    with open(key_file, encoding="ascii") as f:
        private_key = ECKey.import_key(f.read())
    client = OAuth2Session(client_id, private_key, token_endpoint_auth_method="private_key_jwt")
    client.register_client_auth_method(
        PrivateKeyJWT(conf["token_endpoint"], headers={"kid": kid}, alg="ES256"))
    token = client.fetch_token(conf["token_endpoint"], grant_type="client_credentials",
                               resource=api)

    # The API: verify offline with its own identifier as the audience.
    jwks = jwt.PyJWKClient(conf["jwks_uri"])
    access = token["access_token"]
    key = jwks.get_signing_key_from_jwt(access)
    claims = jwt.decode(access, key.key, algorithms=[key.algorithm_name], audience=api,
                        issuer=issuer, options={"require": ["exp", "iat", "sub", "aud", "iss"]})
    print("service token:", claims["sub"], claims["aud"], repr(claims.get("scope", "")))


if __name__ == "__main__":
    main()

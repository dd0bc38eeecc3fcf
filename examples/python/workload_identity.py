"""A Cloud Run service signing in with its service account: no secret, no key (workload identity).

- the metadata server (GCE_METADATA_HOST, as Google's libraries read it; metadata.google.internal
  on Cloud Run) hands an ID token whose audience is monban's token endpoint;
- that token is the client assertion of a client-credentials request for an API;
- PyJWT verifies the answer as the API would.

    python3 examples/python/workload_identity.py ISSUER CLIENT_ID API
"""

import os
import sys

import jwt
import requests

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def main() -> None:
    issuer, client_id, api = sys.argv[1:4]
    conf = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
    metadata = os.environ.get("GCE_METADATA_HOST", "metadata.google.internal")
    id_token = requests.get(
        f"http://{metadata}/computeMetadata/v1/instance/service-accounts/default/identity",
        params={"audience": conf["token_endpoint"], "format": "full"},
        headers={"Metadata-Flavor": "Google"}, timeout=5)
    id_token.raise_for_status()
    answer = requests.post(conf["token_endpoint"], timeout=5, data={
        "grant_type": "client_credentials", "client_id": client_id, "resource": api,
        "client_assertion_type": ASSERTION_TYPE, "client_assertion": id_token.text})
    assert answer.status_code == 200, answer.text
    access = answer.json()["access_token"]

    jwks = jwt.PyJWKClient(conf["jwks_uri"])
    key = jwks.get_signing_key_from_jwt(access)
    claims = jwt.decode(access, key.key, algorithms=[key.algorithm_name], audience=api,
                        issuer=issuer, options={"require": ["exp", "iat", "sub", "aud", "iss"]})
    print("workload token:", claims["sub"], claims["aud"])


if __name__ == "__main__":
    main()

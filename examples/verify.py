"""Verify a token minted from examples/ with PyJWT, an independent library.

    jose-engine mint ... | python examples/verify.py examples/keys.json
"""

import json
import sys

import jwt

keyset = json.load(open(sys.argv[1]))
token = sys.stdin.read().strip()
kid = jwt.get_unverified_header(token)["kid"]
jwk = next(k for k in keyset["keys"] if k["kid"] == kid)
# Verify with the public half only, as a relying party would.
public = {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
key = jwt.PyJWK(public).key
claims = jwt.decode(token, key, algorithms=[jwk["alg"]], options={"verify_aud": False})
print(json.dumps(claims, indent=2))

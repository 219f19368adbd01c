"""Verify a token minted from a key set with PyJWT, an independent library.

    jose-engine mint ... | python examples/verify.py examples/keys.json

Prints the claims. Only the public half of the key is used, as a relying party would; the
alg is the key's own, or the token's when the key names none (PyJWT checks that it fits).
"""

import json
import sys

import jwt

PRIVATE = ("d", "p", "q", "dp", "dq", "qi")

with open(sys.argv[1], encoding="utf-8") as fh:
    keyset = json.load(fh)
token = sys.stdin.read().strip()
header = jwt.get_unverified_header(token)
jwk = next(k for k in keyset["keys"] if k.get("kid") == header.get("kid"))
alg = jwk.get("alg", header["alg"])
public = jwk if jwk["kty"] == "oct" else {k: v for k, v in jwk.items() if k not in PRIVATE}
key = jwt.PyJWK(public, algorithm=alg).key
claims = jwt.decode(token, key, algorithms=[alg], options={"verify_aud": False})
print(json.dumps(claims, indent=2))

"""A compiled policy is shared by threads: every token from every thread verifies."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import jwt

from jose_engine import compile_policy
from tests.keysets import keyset, public, signing_jwks
from tests.policies import policy


def test_minting_from_many_threads_gives_valid_distinct_tokens() -> None:
    compiled = compile_policy(policy(jwkIdForValidationAndSign="es256"), keyset("es256"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        tokens = list(pool.map(lambda i: compiled.mint({"i": i}), range(400)))
    key = jwt.PyJWK(public(signing_jwks()["es256"])).key
    seen = set()
    for i, token in enumerate(tokens):
        claims = jwt.decode(token, key, algorithms=["ES256"], audience="api://one")
        assert claims["i"] == i
        seen.add(claims["jti"])
    assert len(seen) == len(tokens)

"""Shared helpers for the runtime tests (no tests here): a policy, keys, and PyJWT checks."""

from __future__ import annotations

import base64
from typing import Any

import jwt

from jose_engine import compile_policy
from jose_engine.compiled import CompiledPolicy
from jose_engine.variables import Variable, parse_variable
from tests.policies import changed

SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(32, 64))
AUDIENCE = "api://one"
ISSUER = "https://issuer.example"


def _oct(kid: str, secret: bytes) -> dict[str, Any]:
    k = base64.urlsafe_b64encode(secret).rstrip(b"=").decode()
    return {"kty": "oct", "kid": kid, "alg": "HS256", "use": "sig", "k": k}


KEYS: dict[str, Any] = {
    "keys": [_oct("hs", SECRET), _oct("hs-bob", OTHER_SECRET)],
    "credentials": {"alice": {"sign": "hs"}, "bob": {"sign": "hs-bob"}},
    "defaultCredential": "alice",
}

BASE: dict[str, Any] = {
    "type": "policy-jose-implementation",
    "active": True,
    "joseTarget": "BODY",
    "issuer": ISSUER,
    "audienceList": [AUDIENCE],
    "subject": "user123",
    "typeValue": "JWT",
    "expirationTimeValue": 3600,
    "expirationTimeUnit": "SECONDS",
    "sign": True,
    "signByIssuer": False,
    "jwkIdForValidationAndSign": "hs",
    "encrypt": False,
}


def policy(**changes: Any) -> dict[str, Any]:
    """:data:`BASE` with members replaced; ``None`` removes one."""
    return changed(BASE, **changes)


def compiled(**changes: Any) -> CompiledPolicy:
    resolvers = changes.pop("resolvers", None)
    return compile_policy(policy(**changes), KEYS, resolvers=resolvers)


def claims(token: str, secret: bytes = SECRET) -> dict[str, Any]:
    """Verify with PyJWT, never with our own code."""
    out: dict[str, Any] = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE,
                                     issuer=ISSUER)
    return out


def variable(writable: bool = False, **members: Any) -> Variable:
    return parse_variable(members, "policy.var", writable=writable)

"""Keys for the tests, made once per session (RSA generation is slow)."""

from __future__ import annotations

import functools
import json
from typing import Any

from jwcrypto import jwk

# (kid, generate() arguments, the JWS alg it signs with)
SIGNING = (
    ("hs256", {"kty": "oct", "size": 256}, "HS256"),
    ("hs384", {"kty": "oct", "size": 384}, "HS384"),
    ("hs512", {"kty": "oct", "size": 512}, "HS512"),
    ("rs256", {"kty": "RSA", "size": 2048}, "RS256"),
    ("rs384", {"kty": "RSA", "size": 2048}, "RS384"),
    ("rs512", {"kty": "RSA", "size": 2048}, "RS512"),
    ("ps256", {"kty": "RSA", "size": 2048}, "PS256"),
    ("ps384", {"kty": "RSA", "size": 2048}, "PS384"),
    ("ps512", {"kty": "RSA", "size": 2048}, "PS512"),
    ("es256", {"kty": "EC", "crv": "P-256"}, "ES256"),
    ("es384", {"kty": "EC", "crv": "P-384"}, "ES384"),
    ("es512", {"kty": "EC", "crv": "P-521"}, "ES512"),
    ("es256k", {"kty": "EC", "crv": "secp256k1"}, "ES256K"),
    ("ed25519", {"kty": "OKP", "crv": "Ed25519"}, "EdDSA"),
    ("ed448", {"kty": "OKP", "crv": "Ed448"}, "EdDSA"),
)
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi")


@functools.cache
def _rsa() -> dict[str, Any]:
    return json.loads(jwk.JWK.generate(kty="RSA", size=2048).export())


@functools.cache
def signing_jwks() -> dict[str, dict[str, Any]]:
    """kid -> private JWK dict with ``alg`` set (RSA keys share one modulus: speed)."""
    out = {}
    for kid, params, alg in SIGNING:
        if params["kty"] == "RSA":
            member = dict(_rsa())
        else:
            member = json.loads(jwk.JWK.generate(**params).export())
        out[kid] = {**member, "kid": kid, "alg": alg}
    return out


def public(member: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in member.items() if k not in PRIVATE_MEMBERS}


def keyset(*kids: str, credentials: dict[str, Any] | None = None,
           default: str | None = None) -> dict[str, Any]:
    jwks = signing_jwks()
    out: dict[str, Any] = {"keys": [jwks[k] for k in (kids or tuple(jwks))]}
    if credentials is not None:
        out["credentials"] = credentials
    if default is not None:
        out["defaultCredential"] = default
    return out

"""Published JWS vectors: byte-exact where the alg is deterministic, verified otherwise."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from jose_engine.encoding import b64u_encode
from jose_engine.jws import build_signer
from jose_engine.keys import import_jwk
from tests import vectorfiles
from tests.keysets import public


def _appendix(name: str) -> tuple[bytes, dict[str, Any], str, str | None]:
    v = vectorfiles.load(name)
    jwk = dict(v["jwk"], alg=v["alg"])
    sig = v["signature_b64u"] if v.get("deterministic") else None
    return v["signing_input"].encode(), jwk, v["alg"], sig


def _rfc8037() -> tuple[bytes, dict[str, Any], str, str | None]:
    v = vectorfiles.load("rfc8037/A.1-A.5_Ed25519.json")
    jwk = dict(v["A.1_private_jwk"], alg="EdDSA")
    return v["A.4_signing_input"].encode(), jwk, "EdDSA", v["A.4_signature_b64u"]


def _cookbook(name: str) -> tuple[bytes, dict[str, Any], str, str | None]:
    v = vectorfiles.load(name)
    compact = v["output"]["compact"]
    head, payload, sig = compact.split(".")
    jwk = dict(v["input"]["key"], alg=v["input"]["alg"])
    deterministic = v["input"]["alg"].startswith(("HS", "RS"))
    return f"{head}.{payload}".encode(), jwk, v["input"]["alg"], sig if deterministic else None


CASES = {
    "RFC 7515 A.1 HS256": lambda: _appendix("rfc7515/A.1_HS256.json"),
    "RFC 7515 A.2 RS256": lambda: _appendix("rfc7515/A.2_RS256.json"),
    "RFC 7515 A.3 ES256": lambda: _appendix("rfc7515/A.3_ES256.json"),
    "RFC 7515 A.4 ES512": lambda: _appendix("rfc7515/A.4_ES512.json"),
    "RFC 8037 A.4 Ed25519": _rfc8037,
    "RFC 7520 4.1 RS256": lambda: _cookbook("rfc7520/jws/4_1.rsa_v15_signature.json"),
    "RFC 7520 4.2 PS384": lambda: _cookbook("rfc7520/jws/4_2.rsa-pss_signature.json"),
    "RFC 7520 4.3 ES512": lambda: _cookbook("rfc7520/jws/4_3.ecdsa_signature.json"),
    "RFC 7520 4.4 HS256": lambda: _cookbook(
        "rfc7520/jws/4_4.hmac-sha2_integrity_protection.json"),
}


@pytest.mark.parametrize("name", CASES)
def test_our_signer_matches_the_published_vector(name: str) -> None:
    signing_input, jwk, alg, expected = CASES[name]()
    _, sign = build_signer(import_jwk(jwk, "vector"), "vector")
    signature = b64u_encode(sign(signing_input)).decode()
    if expected is not None:
        assert signature == expected
    # Randomized or not, PyJWT verifies our signature with the vector's public key.
    token = f"{signing_input.decode()}.{signature}"
    key = jwt.PyJWK(public(jwk)).key
    decoded = jwt.api_jws.decode_complete(token, key, algorithms=[alg])
    assert decoded["header"]["alg"] == alg

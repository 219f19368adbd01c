"""Nested tokens through the compiled policy: sign, then encrypt (RFC 7519 §5.2, §11.2).

Each token is decrypted by the independent decrypters of ``tests/jwe_oracle.py`` and its inner
JWS verified by PyJWT; the claims must be exactly what the policy asked for.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwcrypto import jwk

from jose_engine import compile_policy
from jose_engine.jwe import ENCRYPTION_METHODS
from tests.conftest import EXAMPLES
from tests.jwe_oracle import decrypt, header_of
from tests.keysets import public, signing_jwks
from tests.policies import policy

CEK_BYTES = {"A128CBC_HS256": 32, "A192CBC_HS384": 48, "A256CBC_HS512": 64,
             "A128CBC_HS256_DEPRECATED": 32, "A256CBC_HS512_DEPRECATED": 64,
             "A128GCM": 16, "A192GCM": 24, "A256GCM": 32, "XC20P": 32}
# Encryption key recipes: kid -> (generate() arguments, JWK alg or None for the default).
RECIPES: dict[str, tuple[dict[str, Any], str | None]] = {
    "rsa-oaep-256": ({"kty": "RSA", "size": 2048}, None),
    "rsa-oaep": ({"kty": "RSA", "size": 2048}, "RSA-OAEP"),
    "a256kw": ({"kty": "oct", "size": 256}, "A256KW"),
    "a128gcmkw": ({"kty": "oct", "size": 128}, "A128GCMKW"),
    "ecdh-es-p256": ({"kty": "EC", "crv": "P-256"}, None),
    "ecdh-es-a128kw-x25519": ({"kty": "OKP", "crv": "X25519"}, "ECDH-ES+A128KW"),
    "pbes2": ({"kty": "oct", "size": 256}, "PBES2-HS256+A128KW"),
}


@functools.cache
def encryption_jwk(kid: str, method: str) -> dict[str, Any]:
    if kid == "dir":
        params: dict[str, Any] = {"kty": "oct", "size": CEK_BYTES[method] * 8}
        alg: str | None = "dir"
    else:
        params, alg = RECIPES[kid]
    member = json.loads(jwk.JWK.generate(**params).export())
    member["kid"] = f"{kid}-{method}" if kid == "dir" else kid
    if alg:
        member["alg"] = alg
    return dict(member)


def _compile(sign_kid: str | None, enc_kid: str, method: str, **changes: Any) -> Any:
    enc_member = encryption_jwk(enc_kid, method)
    keys = [enc_member] + ([signing_jwks()[sign_kid]] if sign_kid else [])
    pol = policy(sign=sign_kid is not None, jwkIdForValidationAndSign=sign_kid,
                 encrypt=True, encryptByIssuer=False, encryptionMethod=method,
                 jwkIdForDecryptionAndEncryption=enc_member["kid"], **changes)
    return compile_policy(pol, {"keys": keys}, pbes2_count=1000), enc_member


def _inner_claims(inner: bytes, sign_kid: str) -> dict[str, Any]:
    member = signing_jwks()[sign_kid]
    key = jwt.PyJWK(member if member["kty"] == "oct" else public(member)).key
    return dict(jwt.decode(inner, key, algorithms=[member["alg"]], audience="api://one"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sign_kid=st.sampled_from(["hs256", "rs256", "es256", "ed25519"]),
       enc_kid=st.sampled_from(["dir", *RECIPES]), method=st.sampled_from(ENCRYPTION_METHODS),
       data=st.dictionaries(st.text(min_size=1, max_size=5),
                            st.integers(-(2**63), 2**63 - 1), max_size=3))
def test_nested_tokens_decrypt_and_verify_independently(sign_kid: str, enc_kid: str,
                                                         method: str,
                                                         data: dict[str, int]) -> None:
    compiled, enc_member = _compile(sign_kid, enc_kid, method)
    token = compiled.mint(data)
    header = header_of(token)
    assert header["cty"] == "JWT" and "typ" not in header
    assert header["kid"] == enc_member["kid"]
    claims = _inner_claims(decrypt(token, enc_member), sign_kid)
    for name, value in data.items():
        if name not in ("iat", "jti", "exp", "iss", "sub", "aud"):
            assert claims[name] == value
    assert claims["iss"] == "https://issuer.example"


@pytest.mark.parametrize("method", ENCRYPTION_METHODS)
def test_encrypted_only_tokens_carry_typ_and_the_claims(method: str) -> None:
    compiled, enc_member = _compile(None, "dir", method)
    token = compiled.mint({"a": 1})
    header = header_of(token)
    assert header["typ"] == "JWT" and "cty" not in header
    claims = json.loads(decrypt(token, enc_member))
    assert claims["a"] == 1 and claims["aud"] == "api://one"


@pytest.mark.parametrize("name", ["signed-and-encrypted-jwe", "proxy-jwk"])
def test_the_seed_examples_mint_nested_tokens_joserfc_opens(name: str) -> None:
    out = subprocess.run([sys.executable, "-m", "jose_engine", "mint", "--policy",
                          str(EXAMPLES / f"policies/{name}.json"), "--keys",
                          str(EXAMPLES / "keys.json")], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    keys = {k["kid"]: k for k in json.loads((EXAMPLES / "keys.json").read_text())["keys"]}
    inner = decrypt(token, keys[header_of(token)["kid"]])
    signer = keys[jwt.get_unverified_header(inner)["kid"]]
    claims = jwt.decode(inner, jwt.PyJWK(public(signer)).key, algorithms=[signer["alg"]],
                        audience="api://myapi")
    assert claims["iss"] == "https://myapi.com" and claims["sub"] == "user123"

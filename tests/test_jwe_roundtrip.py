"""Every token we mint decrypts with an independent decrypter to the plaintext we gave.

The grid is every key-management ``alg`` x every policy ``encryptionMethod``; ECDH-ES algs
rotate over the five curves along the methods, so each curve meets each ECDH alg. Tokens
with an RFC ``enc`` decrypt with joserfc (XC20P through its draft module, RSA-OAEP-384/512
through pycryptodome); the legacy ones with tests/legacy_decrypt.py.
"""

from __future__ import annotations

import functools
import string
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwcrypto.jwk import JWK

from jose_engine.errors import SecurityWarning
from jose_engine.jwe import ENCRYPTION_METHODS, KEY_MANAGEMENT_ALGORITHMS, build_encrypter
from jose_engine.jwe.content import CONTENT_ENCRYPTION
from tests.jwe_oracle import decrypt, header_of

CURVES = [("EC", "P-256"), ("OKP", "X25519"), ("EC", "P-384"), ("OKP", "X448"), ("EC", "P-521")]
KW_OCTETS = {"128": 16, "192": 24, "256": 32}
TEST_P2C = 1000  # low on purpose: PBES2's cost is the iteration count
PER_TOKEN_MEMBERS = {"ECDH-ES": {"epk"}, "GCMKW": {"iv", "tag"}, "PBES2": {"p2s", "p2c"}}


@functools.cache
def _rsa() -> JWK:
    return JWK.generate(kty="RSA", size=2048)


@functools.cache
def _curve_key(kty: str, crv: str) -> JWK:
    return JWK.generate(kty=kty, crv=crv)


@functools.cache
def _oct(size: int, tag: str = "") -> JWK:
    return JWK.generate(kty="oct", size=8 * size)


def recipient(alg: str, method: str) -> tuple[JWK, dict[str, Any]]:
    """(the JWK we encrypt to, the private JWK as a dict for the decrypter)."""
    if alg.startswith("RSA"):
        private = _rsa()
    elif alg.startswith("ECDH-ES"):
        private = _curve_key(*CURVES[ENCRYPTION_METHODS.index(method) % len(CURVES)])
    elif alg == "dir":
        private = _oct(CONTENT_ENCRYPTION[method].cek_len)
    elif alg.startswith("PBES2"):
        private = _oct(12, "password")
    else:  # A128KW ... A256GCMKW
        private = _oct(KW_OCTETS[alg[1:4]])
    as_dict = private.export(private_key=True, as_dict=True)
    public = private if private.is_symmetric else JWK(**private.export_public(as_dict=True))
    ours = JWK(**{**public.export(private_key=public.is_symmetric, as_dict=True), "alg": alg})
    return ours, as_dict


def build(jwk: JWK, method: str, **options: Any) -> Any:
    """build_encrypter with no header extras by default and SecurityWarnings silenced."""
    kw: dict[str, Any] = {"kid": None, "cty": None, "typ": None, "pbes2_count": TEST_P2C}
    kw.update(options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return build_encrypter(jwk, method, **kw)


def expected_members(alg: str, given: dict[str, str | None]) -> set[str]:
    members = {"alg", "enc"} | {k for k, v in given.items() if v is not None}
    for family, extra in PER_TOKEN_MEMBERS.items():
        if family in alg:
            members |= extra
    return members


GRID = [(alg, method) for alg in KEY_MANAGEMENT_ALGORITHMS for method in ENCRYPTION_METHODS]
header_text = st.none() | st.text(min_size=1, max_size=20)


@pytest.mark.parametrize("alg,method", GRID)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plaintext=st.binary(max_size=600), kid=header_text, cty=header_text, typ=header_text)
def test_token_decrypts_independently(alg: str, method: str, plaintext: bytes,
                                      kid: str | None, cty: str | None, typ: str | None) -> None:
    """Our compact JWE decrypts to the plaintext; the header says what we asked for."""
    ours, private = recipient(alg, method)
    encrypter = build(ours, method, kid=kid, cty=cty, typ=typ)
    token = encrypter.encrypt(plaintext)
    assert decrypt(token, private) == plaintext
    header = header_of(token)
    given_members = {"kid": kid, "cty": cty, "typ": typ}
    assert set(header) == expected_members(alg, given_members)
    assert (header["alg"], header["enc"]) == (alg, CONTENT_ENCRYPTION[method].enc)
    assert all(header[k] == v for k, v in given_members.items() if v is not None)
    assert set(token.decode("ascii")) <= set(string.ascii_letters + string.digits + "-_.")

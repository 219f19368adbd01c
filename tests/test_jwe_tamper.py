"""The independent decrypter refuses our tokens under the wrong key, with any segment
altered by one bit, or truncated.

Bits are flipped in the decoded octets and re-encoded: flipping a base64url character's
unused low bits would decode to the same octets and prove nothing.
"""

from __future__ import annotations

import base64
import functools
from typing import Any

import pytest
from jwcrypto.jwk import JWK

from jose_engine.jwe import ENCRYPTION_METHODS, KEY_MANAGEMENT_ALGORITHMS
from tests.jwe_oracle import Refused, decrypt
from tests.test_jwe_roundtrip import build, recipient

PLAINTEXT = b'{"iss":"https://issuer.example","sub":"alice","exp":1700000000}'
CASES = sorted(
    {(alg, "A256GCM") for alg in KEY_MANAGEMENT_ALGORITHMS}
    | {(alg, method) for alg in ("dir", "ECDH-ES", "RSA-OAEP-256") for method in ENCRYPTION_METHODS}
)


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@functools.cache
def _other_key(shape: tuple[str, str, int]) -> dict[str, Any]:
    kty, crv, size = shape
    if kty == "RSA":
        key = JWK.generate(kty="RSA", size=2048)
    elif kty == "oct":
        key = JWK.generate(kty="oct", size=8 * size)
    else:
        key = JWK.generate(kty=kty, crv=crv)
    return dict(key.export(private_key=True, as_dict=True))


def wrong_key_like(private: dict[str, Any]) -> dict[str, Any]:
    size = len(_b64d(private["k"])) if private["kty"] == "oct" else 0
    return _other_key((private["kty"], private.get("crv", ""), size))


def mint(alg: str, method: str) -> tuple[str, dict[str, Any]]:
    ours, private = recipient(alg, method)
    token = build(ours, method, kid="k1", cty="JWT").encrypt(PLAINTEXT).decode()
    assert decrypt(token, private) == PLAINTEXT  # the control: untouched, it decrypts
    return token, private


def flipped(token: str, segment: int, octet: int, bit: int) -> str:
    parts = token.split(".")
    raw = bytearray(_b64d(parts[segment]))
    raw[octet] ^= 1 << bit
    parts[segment] = _b64e(bytes(raw))
    return ".".join(parts)


@pytest.mark.parametrize("alg,method", CASES)
def test_wrong_key_is_refused(alg: str, method: str) -> None:
    """Another key of the same type, size and curve does not decrypt the token."""
    token, private = mint(alg, method)
    with pytest.raises(Refused):
        decrypt(token, wrong_key_like(private))


@pytest.mark.parametrize("alg,method", CASES)
def test_one_flipped_bit_in_any_segment_is_refused(alg: str, method: str) -> None:
    """A bit flipped at the start, middle or end of each non-empty segment is refused."""
    token, private = mint(alg, method)
    for segment, text in enumerate(token.split(".")):
        size = len(_b64d(text))
        for octet, bit in {(0, 0), (size // 2, 3), (size - 1, 7)} if size else ():
            with pytest.raises(Refused):
                decrypt(flipped(token, segment, octet, bit), private)


@pytest.mark.parametrize("alg,method", CASES)
def test_truncated_token_is_refused(alg: str, method: str) -> None:
    """Dropping the tag segment, the last character, or half the token is refused."""
    token, private = mint(alg, method)
    for cut in (token.rsplit(".", 1)[0], token[:-1], token[: len(token) // 2],
                token.rsplit(".", 1)[0] + "."):
        with pytest.raises(Refused):
            decrypt(cut, private)

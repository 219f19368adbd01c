"""Independent decrypters for the JWE tests (their own proof is in test_jwe_oracle.py).

- joserfc decrypts every RFC 7518 alg/enc; XC20P through ``joserfc.drafts.jwe_chacha20``
  (pycryptodome). joserfc lacks RSA-OAEP-384/512, so two small models add them with
  pycryptodome's PKCS1_OAEP.
- The legacy CBC methods are decrypted by ``tests/legacy_decrypt.py``; joserfc only runs key
  management for them, through models that hand back the CMK instead of a plaintext.

Nothing here imports jose_engine.jwe.
"""

from __future__ import annotations

import base64
import functools
import json
import warnings
from typing import Any

from Crypto.Cipher import PKCS1_OAEP
from Crypto.Hash import SHA384, SHA512
from Crypto.PublicKey import RSA
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap
from joserfc import jwe
from joserfc.drafts.jwe_chacha20 import register_chacha20_poly1305
from joserfc.errors import DecodeError, JoseError
from joserfc.jwa import JWEEncModel, JWEKeyEncryption
from joserfc.jwk import import_key

from tests import legacy_decrypt

# Exceptions an honest refusal may raise. AttributeError/NameError are left out on purpose:
# a bug in the oracle must fail a test, not pass as "refused".
_REFUSALS = (JoseError, ValueError, KeyError, TypeError, InvalidTag, InvalidUnwrap,
             legacy_decrypt.LegacyDecryptError, AssertionError)


class Refused(Exception):
    """The independent decrypter refused the token."""


class _PycryptodomeOaep(JWEKeyEncryption):
    """RSA-OAEP with SHA-384/512 (hash and MGF1), decrypting with pycryptodome."""

    key_types = ["RSA"]  # noqa: RUF012 - joserfc's own class attribute

    def __init__(self, name: str, hash_module: Any) -> None:
        self.name = name
        self.description = name
        self._hash = hash_module

    def encrypt_cek(self, cek: bytes, recipient: Any) -> bytes:
        raise NotImplementedError("decrypt only")

    def decrypt_cek(self, recipient: Any) -> bytes:
        pem = recipient.recipient_key.as_pem(private=True)
        cipher = PKCS1_OAEP.new(RSA.import_key(pem), hashAlgo=self._hash)
        try:
            return bytes(cipher.decrypt(recipient.encrypted_key))
        except ValueError:
            raise DecodeError("OAEP decryption failed") from None


class _RevealCmk(JWEEncModel):
    """A legacy ``enc`` for joserfc that returns the CMK; legacy_decrypt does the rest."""

    def __init__(self, name: str, cmk_octets: int) -> None:
        self.name = name
        self.description = name
        self.cek_size = 8 * cmk_octets
        self.iv_size = 128

    def encrypt(self, plaintext: bytes, cek: bytes, iv: bytes, aad: bytes) -> tuple[bytes, bytes]:
        raise NotImplementedError("decrypt only")

    def decrypt(self, ciphertext: bytes, tag: bytes, cek: bytes, iv: bytes, aad: bytes) -> bytes:
        return cek


register_chacha20_poly1305()
jwe.JWERegistry.register(_PycryptodomeOaep("RSA-OAEP-384", SHA384))
jwe.JWERegistry.register(_PycryptodomeOaep("RSA-OAEP-512", SHA512))
for _name, (_size, _) in legacy_decrypt.METHODS.items():
    jwe.JWERegistry.register(_RevealCmk(_name, _size))

ALL_ALGS = [*jwe.JWERegistry.algorithms["alg"]]
ALL_ENCS = [*jwe.JWERegistry.algorithms["enc"]]
ALL_ZIPS = [*jwe.JWERegistry.algorithms["zip"]]  # RFC 7520 §5.9 uses DEF; we never do
REGISTRY = jwe.JWERegistry(algorithms=ALL_ALGS + ALL_ENCS + ALL_ZIPS)
# joserfc bounds the base64url tag text at 64 characters; the legacy HS512 tag needs 86.
REGISTRY.max_auth_tag_length = 128


def header_of(token: str | bytes) -> dict[str, Any]:
    """The protected header of a compact JWE, parsed."""
    text = token.decode("ascii") if isinstance(token, bytes) else token
    segment = text.split(".")[0]
    padded = segment + "=" * (-len(segment) % 4)
    parsed: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
    return parsed


def decrypt(token: str | bytes, jwk: dict[str, Any]) -> bytes:
    """The plaintext of ``token`` for the private ``jwk``, or :class:`Refused`."""
    try:
        return _decrypt(token, jwk)
    except _REFUSALS as error:
        raise Refused(type(error).__name__) from error


@functools.lru_cache(maxsize=64)
def _imported(jwk_json: str) -> Any:
    # Loading a private RSA key checks it, which is slow; the tests reuse a few keys.
    return import_key(json.loads(jwk_json))


def _decrypt(token: str | bytes, jwk: dict[str, Any]) -> bytes:
    key = _imported(json.dumps(jwk, sort_keys=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc's SecurityWarning for RSA1_5
        result = jwe.decrypt_compact(token, key, registry=REGISTRY).plaintext
    assert result is not None
    if header_of(token)["enc"] in legacy_decrypt.METHODS:
        return legacy_decrypt.decrypt(token, result)  # result is the CMK
    return result


# --- the oracle reads what others published -------------------------------------------

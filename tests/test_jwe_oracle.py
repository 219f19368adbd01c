"""Independent decrypters for the JWE tests, and proof that they read the published vectors.

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

import pytest
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
from tests.vectorfiles import files, load

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
    parsed: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
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


@pytest.mark.parametrize("path", files("rfc7516/*.json"))
def test_oracle_decrypts_rfc7516_examples(path: str) -> None:
    """joserfc decrypts RFC 7516 A.1-A.3 to the published plaintext."""
    v = load(path)
    assert decrypt(v["compact"], v["jwk"]) == v["plaintext_utf8"].encode()


_PBES2_EXAMPLE = "rfc7520/jwe/5_3.key_wrap_using_pbes2-aes-keywrap_with-aes-cbc-hmac-sha2.json"
_COOKBOOK_COMPACT = [p for p in files("rfc7520/jwe/5_*.json")
                     if p != _PBES2_EXAMPLE and "compact" in load(p)["output"]]


@pytest.mark.parametrize("path", _COOKBOOK_COMPACT)
def test_oracle_decrypts_rfc7520_compact_examples(path: str) -> None:
    """joserfc decrypts each RFC 7520 §5 example that has a compact form."""
    v = load(path)
    assert decrypt(v["output"]["compact"], v["input"]["key"]) == v["input"]["plaintext"].encode()


def test_oracle_decrypts_rfc7520_pbes2_example() -> None:
    """RFC 7520 §5.3 (PBES2, password input) decrypts with the password as an oct key."""
    v = load(_PBES2_EXAMPLE)
    password = v["input"]["pwd"].encode()
    jwk = {"kty": "oct", "k": base64.urlsafe_b64encode(password).decode().rstrip("=")}
    assert decrypt(v["output"]["compact"], jwk) == v["input"]["plaintext"].encode()


def test_oracle_decrypts_did_jwt_xc20p_passes_and_refuses_fails() -> None:
    """The did-jwt XC20P file: three tokens decrypt, three are refused."""
    v = load("xc20p/did-jwt_dir_XC20P.json")
    for case in v["pass"]:
        assert decrypt(case["compact"], case["jwk"]) == case["plaintext_utf8"].encode()
    for case in v["fail"]:
        with pytest.raises(Refused):
            decrypt(case["compact"], case["jwk"])


def test_legacy_decrypter_reproduces_draft08_key_derivation() -> None:
    """legacy_decrypt derives the draft-08 A.4/A.5 CEK and CIK from the CMK."""
    v = load("deprecated/draft-ietf-jose-json-web-encryption-08_A.4-A.5_ConcatKDF_CEK_CIK.json")
    for enc in legacy_decrypt.METHODS:
        case = v[enc]
        cek, cik = legacy_decrypt.derive(bytes(case["cmk_octets"]), enc)
        assert (cek, cik) == (bytes(case["cek_octets"]), bytes(case["cik_octets"]))


def test_oracle_decrypts_draft08_legacy_token() -> None:
    """The draft-08 A.2 RSA1_5 + A128CBC+HS256 token decrypts end to end."""
    v = load("deprecated/draft-ietf-jose-json-web-encryption-08_A.2_RSA1_5_A128CBC+HS256.json")
    assert decrypt(v["compact"], v["jwk"]) == v["plaintext_utf8"].encode()


def test_oracle_refuses_draft08_token_with_flipped_tag() -> None:
    """A changed integrity value is refused by the legacy decrypter."""
    v = load("deprecated/draft-ietf-jose-json-web-encryption-08_A.2_RSA1_5_A128CBC+HS256.json")
    head, tag = v["compact"].rsplit(".", 1)
    raw = bytearray(legacy_decrypt.b64d(tag))
    raw[0] ^= 1
    forged = head + "." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(Refused):
        decrypt(forged, v["jwk"])


def test_oracle_xchacha20_stream_matches_draft_a32() -> None:
    """pycryptodome's XChaCha20 (behind joserfc's XC20P) gives draft A.3.2's ciphertexts."""
    from Crypto.Cipher import ChaCha20

    v = load("xchacha/draft-irtf-cfrg-xchacha-03_A.3.2_XChaCha20.json")
    key, iv, plaintext = (bytes.fromhex(v[k]) for k in ("key", "iv", "plaintext"))
    for case in ("A.3.2.1", "A.3.2.2"):
        cipher = ChaCha20.new(key=key, nonce=iv)
        cipher.seek(64 * v[f"{case}_initial_counter"])
        assert cipher.encrypt(plaintext) == bytes.fromhex(v[f"{case}_ciphertext"])

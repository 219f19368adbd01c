"""Key management (RFC 7518 §4.1): one frozen :class:`KeyManagement` per ``alg``.

:func:`resolve` is the only place that looks at identifier strings: it picks the ``alg``
(the JWK's own, or the default for its key type), finds its descriptor and checks that the
key may be used for it. Everything below receives descriptors and builders.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .content import BY_ENC, ContentEncryption
from .ecdh import ecdh_direct, ecdh_key_wrap
from .recipient import RecipientKey
from .wrapping import Builder, aes_gcm_key_wrap, aes_key_wrap_with, direct, pbes2, rsa_encryption

_RSA = frozenset({"RSA"})
_OCT = frozenset({"oct"})
_ECDH = frozenset({"EC", "OKP"})
# RFC 7517 §4.3: a JWK whose key_ops names none of these may not be used for the alg.
_CONTENT_OPS = frozenset({"encrypt"})
_WRAP_OPS = frozenset({"wrapKey", "encrypt"})
_DERIVE_OPS = frozenset({"deriveKey", "deriveBits"})
_PASSWORD_OPS = frozenset({"deriveKey", "wrapKey"})


@dataclass(frozen=True, slots=True)
class KeyManagement:
    """One ``alg``: the key types it accepts, the key_ops that permit it, its builder."""

    alg: str
    key_types: frozenset[str]
    key_ops: frozenset[str]
    build: Builder
    warning: str | None = None


def _oaep(hash_alg: hashes.HashAlgorithm) -> padding.OAEP:
    return padding.OAEP(padding.MGF1(hash_alg), hash_alg, None)


_RSA1_5_WARNING = (
    "JWE alg RSA1_5 (RSAES-PKCS1-v1_5) is deprecated: it invites padding-oracle attacks "
    "(RFC 8725 §3.2); prefer RSA-OAEP-256")


def _describe() -> dict[str, KeyManagement]:
    table = (
        KeyManagement("dir", _OCT, _CONTENT_OPS, direct()),  # §4.5
        # §4.2, §4.3; RSA-OAEP-384/512 are the IANA registrations from WebCrypto.
        KeyManagement("RSA1_5", _RSA, _WRAP_OPS, rsa_encryption(padding.PKCS1v15()),
                      _RSA1_5_WARNING),
        KeyManagement("RSA-OAEP", _RSA, _WRAP_OPS, rsa_encryption(_oaep(hashes.SHA1()))),
        KeyManagement("RSA-OAEP-256", _RSA, _WRAP_OPS, rsa_encryption(_oaep(hashes.SHA256()))),
        KeyManagement("RSA-OAEP-384", _RSA, _WRAP_OPS, rsa_encryption(_oaep(hashes.SHA384()))),
        KeyManagement("RSA-OAEP-512", _RSA, _WRAP_OPS, rsa_encryption(_oaep(hashes.SHA512()))),
        # §4.4
        KeyManagement("A128KW", _OCT, _WRAP_OPS, aes_key_wrap_with(16)),
        KeyManagement("A192KW", _OCT, _WRAP_OPS, aes_key_wrap_with(24)),
        KeyManagement("A256KW", _OCT, _WRAP_OPS, aes_key_wrap_with(32)),
        # §4.7
        KeyManagement("A128GCMKW", _OCT, _WRAP_OPS, aes_gcm_key_wrap(16)),
        KeyManagement("A192GCMKW", _OCT, _WRAP_OPS, aes_gcm_key_wrap(24)),
        KeyManagement("A256GCMKW", _OCT, _WRAP_OPS, aes_gcm_key_wrap(32)),
        # §4.6
        KeyManagement("ECDH-ES", _ECDH, _DERIVE_OPS, ecdh_direct()),
        KeyManagement("ECDH-ES+A128KW", _ECDH, _DERIVE_OPS, ecdh_key_wrap(16)),
        KeyManagement("ECDH-ES+A192KW", _ECDH, _DERIVE_OPS, ecdh_key_wrap(24)),
        KeyManagement("ECDH-ES+A256KW", _ECDH, _DERIVE_OPS, ecdh_key_wrap(32)),
        # §4.8
        KeyManagement("PBES2-HS256+A128KW", _OCT, _PASSWORD_OPS, pbes2(hashes.SHA256(), 16)),
        KeyManagement("PBES2-HS384+A192KW", _OCT, _PASSWORD_OPS, pbes2(hashes.SHA384(), 24)),
        KeyManagement("PBES2-HS512+A256KW", _OCT, _PASSWORD_OPS, pbes2(hashes.SHA512(), 32)),
    )
    return {entry.alg: entry for entry in table}


#: Wire ``alg`` -> descriptor.
KEY_MANAGEMENT: dict[str, KeyManagement] = _describe()

# policy-semantics.md "Keys": defaults when the JWK has no "alg".
_DEFAULT_BY_KTY = {"RSA": "RSA-OAEP-256", "EC": "ECDH-ES", "OKP": "ECDH-ES"}
_KW_BY_LENGTH = {16: "A128KW", 24: "A192KW", 32: "A256KW"}


def resolve(key: RecipientKey, content: ContentEncryption) -> KeyManagement:
    """The descriptor for ``key`` under ``content``, after the generic fitness checks."""
    alg = _choose_alg(key, content)
    entry = KEY_MANAGEMENT.get(alg)
    if entry is None:
        raise key.refuse(f"alg {alg!r} is not a JWE key-management algorithm; "
                         f"known: {', '.join(KEY_MANAGEMENT)}")
    if key.kty not in entry.key_types:
        raise key.refuse(f"alg {alg!r} needs a key of type "
                         f"{' or '.join(sorted(entry.key_types))}, got {key.kty!r}")
    if key.key_ops is not None and not key.key_ops & entry.key_ops:
        raise key.refuse(f"JWK 'key_ops' permits none of {', '.join(sorted(entry.key_ops))}, "
                         f"which alg {alg!r} needs")
    return entry


def _choose_alg(key: RecipientKey, content: ContentEncryption) -> str:
    if key.alg is not None:
        return _alg_from_jwk(key, content)
    if key.kty == "oct":
        return _oct_default(key, content)
    alg = _DEFAULT_BY_KTY.get(key.kty)
    if alg is None:
        raise key.refuse(f"a {key.kty!r} key cannot encrypt")
    return alg


def _alg_from_jwk(key: RecipientKey, content: ContentEncryption) -> str:
    assert key.alg is not None
    named = BY_ENC.get(key.alg)
    if named is None:
        return key.alg
    # RFC 7520 §3.6 style: a JWK "alg" naming an enc marks a key for direct use with it.
    if named is not content:
        raise key.refuse(f"JWK is for enc {named.enc!r}, but the policy asks for {content.enc!r}")
    return "dir"


def _oct_default(key: RecipientKey, content: ContentEncryption) -> str:
    size = len(key.octets("k"))
    if size == content.cek_len:
        return "dir"
    alg = _KW_BY_LENGTH.get(size)
    if alg is None:
        raise key.refuse(f"an oct key of {size} octets fits neither 'dir' with "
                         f"{content.enc!r} ({content.cek_len} octets) nor A128KW/A192KW/"
                         "A256KW (16/24/32 octets)")
    return alg

"""Content encryption (RFC 7516 §5.1 steps 11-15): the nine policy methods, one seam.

Every method is one frozen :class:`ContentEncryption` in :data:`CONTENT_ENCRYPTION`, keyed
by its policy enum name. The seam is ``factory(cek).seal(iv, aad, plaintext) -> (ciphertext,
tag)``: the factory binds the key once (once per policy for ``dir``, once per token when the
CEK is random or derived), and ``seal`` does the per-token work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives import hashes

from .aes import AesGcm, cbc_hmac
from .legacy import legacy_cbc_hmac
from .xc20p import XChaCha20Poly1305


class ContentCipher(Protocol):
    """A content cipher bound to one CEK."""

    def seal(self, iv: bytes, aad: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
        """(ciphertext, tag) of ``plaintext`` under ``iv``, authenticating ``aad``."""
        ...


def header_aad(header_b64: bytes, encrypted_key_b64: bytes) -> bytes:
    """RFC 7516 §5.1 step 14: AAD = ASCII(BASE64URL(UTF8(JWE Protected Header)))."""
    return header_b64


def compact_prefix_aad(header_b64: bytes, encrypted_key_b64: bytes) -> bytes:
    """Legacy methods: the first two compact segments; their seal appends IV and CT."""
    return header_b64 + b"." + encrypted_key_b64


@dataclass(frozen=True, slots=True)
class ContentEncryption:
    """One ``enc``: names, sizes in octets, and the factory of its key-bound cipher."""

    method: str  # policy enum name, e.g. "A128CBC_HS256"
    enc: str  # wire name, e.g. "A128CBC-HS256"
    cek_len: int
    iv_len: int
    tag_len: int
    factory: Callable[[bytes], ContentCipher]
    aad_for: Callable[[bytes, bytes], bytes] = header_aad
    deprecated: bool = False

    def bind(self, cek: bytes) -> ContentCipher:
        """The cipher bound to ``cek``, after checking its length."""
        if len(cek) != self.cek_len:
            raise ValueError(f"{self.enc} needs a {self.cek_len}-octet CEK, got {len(cek)}")
        return self.factory(cek)

    def seal(
        self, cek: bytes, iv: bytes, aad: bytes, plaintext: bytes
    ) -> tuple[bytes, bytes]:
        """The seam in one call: (cek, iv, aad, plaintext) -> (ciphertext, tag)."""
        if len(iv) != self.iv_len:
            raise ValueError(f"{self.enc} needs a {self.iv_len}-octet IV, got {len(iv)}")
        return self.bind(cek).seal(iv, aad, plaintext)


def _describe() -> dict[str, ContentEncryption]:
    table = (
        # RFC 7518 §5.2.3-5.2.5: K is MAC_KEY || ENC_KEY, tag is half the HMAC.
        ContentEncryption("A128CBC_HS256", "A128CBC-HS256", 32, 16, 16,
                          cbc_hmac(hashes.SHA256())),
        ContentEncryption("A192CBC_HS384", "A192CBC-HS384", 48, 16, 24,
                          cbc_hmac(hashes.SHA384())),
        ContentEncryption("A256CBC_HS512", "A256CBC-HS512", 64, 16, 32,
                          cbc_hmac(hashes.SHA512())),
        # legacy-cbc.md: CMK of 32/64 octets, full-length tag, MAC over the compact text.
        ContentEncryption("A128CBC_HS256_DEPRECATED", "A128CBC+HS256", 32, 16, 32,
                          legacy_cbc_hmac("A128CBC+HS256", hashes.SHA256(), hashlib.sha256),
                          compact_prefix_aad, deprecated=True),
        ContentEncryption("A256CBC_HS512_DEPRECATED", "A256CBC+HS512", 64, 16, 64,
                          legacy_cbc_hmac("A256CBC+HS512", hashes.SHA512(), hashlib.sha512),
                          compact_prefix_aad, deprecated=True),
        # RFC 7518 §5.3: 96-bit IV, 128-bit tag.
        ContentEncryption("A128GCM", "A128GCM", 16, 12, 16, AesGcm),
        ContentEncryption("A192GCM", "A192GCM", 24, 12, 16, AesGcm),
        ContentEncryption("A256GCM", "A256GCM", 32, 12, 16, AesGcm),
        # draft-amringer-jose-chacha-02 §4: 256-bit key, 192-bit IV, 128-bit tag.
        ContentEncryption("XC20P", "XC20P", 32, 24, 16, XChaCha20Poly1305),
    )
    return {entry.method: entry for entry in table}


#: Policy enum name -> descriptor, in the seed's EnumJwkEncryptionMethod order.
CONTENT_ENCRYPTION: dict[str, ContentEncryption] = _describe()
#: Wire ``enc`` name -> descriptor.
BY_ENC: dict[str, ContentEncryption] = {e.enc: e for e in CONTENT_ENCRYPTION.values()}

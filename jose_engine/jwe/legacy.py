"""The deprecated CBC methods A128CBC+HS256 and A256CBC+HS512 (legacy-cbc.md).

They come from draft-ietf-jose-json-web-encryption-08 (kept alive by Nimbus JOSE+JWT) and
differ from RFC 7518 §5.2: the two keys are derived from the content master key (CMK) with a
Concat KDF round instead of split, the MAC covers the compact text instead of AAD || IV ||
CT || AL, and the tag is the untruncated HMAC. They work but warn when a policy uses them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import algorithms

from ..encoding import b64u_encode
from .aes import cbc_encrypt
from .concatkdf import concat_kdf

# draft-08 §A.4/A.5: the digest part is 00000000 for an absent epu/epv; we never send them.
_NO_PARTY_INFO = b"\x00\x00\x00\x00" * 2


def derive_cek_cik(
    cmk: bytes, enc: bytes, hash_new: Callable[[bytes], Any]
) -> tuple[bytes, bytes]:
    """(CEK, CIK) from the CMK: one Concat KDF round each, labels "Encryption"/"Integrity".

    The CEK is half the CMK long (output size 4 x len(CMK) bits, truncated); the CIK is the
    whole digest (8 x len(CMK) bits).
    """
    size = len(cmk)
    cek_info = struct.pack(">I", 4 * size) + enc + _NO_PARTY_INFO + b"Encryption"
    cik_info = struct.pack(">I", 8 * size) + enc + _NO_PARTY_INFO + b"Integrity"
    return (
        concat_kdf(cmk, cek_info, size // 2, hash_new),
        concat_kdf(cmk, cik_info, size, hash_new),
    )


class LegacyCbcHmac:
    """Draft-08 AES-CBC + HMAC bound to one CMK.

    Its ``aad`` is not RFC 7516's: it is the first two compact segments
    ``b64u(header) "." b64u(encrypted key)``, since the MAC covers the first four segments
    exactly as they go on the wire.
    """

    __slots__ = ("_aes", "_mac")

    def __init__(
        self, cmk: bytes, enc: bytes, hash_alg: hashes.HashAlgorithm,
        hash_new: Callable[[bytes], Any],
    ) -> None:
        cek, cik = derive_cek_cik(cmk, enc, hash_new)
        self._aes = algorithms.AES(cek)
        self._mac = hmac.HMAC(cik, hash_alg)

    def seal(self, iv: bytes, aad: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
        ciphertext = cbc_encrypt(self._aes, iv, plaintext)
        mac = self._mac.copy()
        mac.update(aad + b"." + b64u_encode(iv) + b"." + b64u_encode(ciphertext))
        return ciphertext, mac.finalize()  # untruncated, unlike RFC 7518 §5.2


def legacy_cbc_hmac(
    enc: str, hash_alg: hashes.HashAlgorithm, hash_new: Callable[[bytes], Any]
) -> Callable[[bytes], LegacyCbcHmac]:
    """A factory for one legacy method: its wire name (the KDF input) and its hash H."""
    name = enc.encode("ascii")

    def factory(cmk: bytes) -> LegacyCbcHmac:
        return LegacyCbcHmac(cmk, name, hash_alg, hash_new)

    return factory

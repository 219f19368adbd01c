"""AES content ciphers of RFC 7518: AES-GCM (§5.3) and AES-CBC-HMAC-SHA2 (§5.2).

Each cipher is bound to one CEK in its constructor and then seals many messages.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_GCM_TAG = 16  # RFC 7518 §5.3: the authentication tag is always 128 bits here
_BLOCK = 16


class AesGcm:
    """AES-GCM with a 96-bit IV and a 128-bit tag (RFC 7518 §5.3)."""

    __slots__ = ("aead",)

    def __init__(self, cek: bytes) -> None:
        self.aead = AESGCM(cek)

    def seal(self, iv: bytes, aad: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
        out = self.aead.encrypt(iv, plaintext, aad)
        return out[:-_GCM_TAG], out[-_GCM_TAG:]


class AesCbcHmac:
    """AES_CBC_HMAC_SHA2 of RFC 7518 §5.2.2.1: encrypt-then-MAC with a split key."""

    __slots__ = ("_aes", "_mac", "_tag_len")

    def __init__(self, cek: bytes, hash_alg: hashes.HashAlgorithm) -> None:
        half = len(cek) // 2
        # §5.2.2.1 step 1: MAC_KEY is the first half of K, ENC_KEY the second.
        self._mac = hmac.HMAC(cek[:half], hash_alg)
        self._aes = algorithms.AES(cek[half:])
        # §5.2.2.1 step 5: T is M truncated to T_LEN, which equals the key half length.
        self._tag_len = half

    def seal(self, iv: bytes, aad: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
        ciphertext = cbc_encrypt(self._aes, iv, plaintext)
        mac = self._mac.copy()
        # §5.2.2.1 step 4: M = HMAC(MAC_KEY, A || IV || E || AL), AL = bit length of A.
        mac.update(aad + iv + ciphertext + struct.pack(">Q", len(aad) * 8))
        return ciphertext, mac.finalize()[: self._tag_len]


def cbc_encrypt(aes: algorithms.AES, iv: bytes, plaintext: bytes) -> bytes:
    """AES-CBC with PKCS #7 padding (RFC 5652 §6.3), as RFC 7518 §5.2.2.1 step 3 asks."""
    pad = _BLOCK - len(plaintext) % _BLOCK
    encryptor = Cipher(aes, modes.CBC(iv)).encryptor()
    return encryptor.update(plaintext + bytes((pad,)) * pad) + encryptor.finalize()


def cbc_hmac(hash_alg: hashes.HashAlgorithm) -> Callable[[bytes], AesCbcHmac]:
    """A factory binding :class:`AesCbcHmac` to one hash."""

    def factory(cek: bytes) -> AesCbcHmac:
        return AesCbcHmac(cek, hash_alg)

    return factory

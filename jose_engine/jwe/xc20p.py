"""XC20P: XChaCha20-Poly1305 content encryption (draft-amringer-jose-chacha-02 §4).

The AEAD is draft-irtf-cfrg-xchacha-03's: HChaCha20 subkey from the first 16 IV octets,
then RFC 8439 ChaCha20-Poly1305. libsodium implements exactly that; PyNaCl exposes it.
"""

from __future__ import annotations

from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_encrypt as _xchacha_seal

_TAG = 16  # Poly1305 tag, appended by libsodium


class XChaCha20Poly1305:
    """XChaCha20-Poly1305 with a 256-bit key and a 192-bit IV, bound to one CEK."""

    __slots__ = ("_key",)

    def __init__(self, cek: bytes) -> None:
        self._key = bytes(cek)

    def seal(self, iv: bytes, aad: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
        out = _xchacha_seal(plaintext, aad, iv, self._key)
        return out[:-_TAG], out[-_TAG:]

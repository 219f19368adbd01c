"""Test-suite decrypter for A128CBC+HS256 and A256CBC+HS512, written from legacy-cbc.md.

Independent of jose_engine on purpose: stdlib base64/hashlib/hmac and pycryptodome's AES,
so a shared mistake in our encrypter cannot hide here. It does content decryption only;
the CMK comes from the caller (the draft-08 vector's RSA1_5 key, or joserfc's key
management in ``test_jwe_oracle``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
from typing import Any

from Crypto.Cipher import AES
from Crypto.Util.Padding import unpad

# enc -> (CMK octets, H)
METHODS: dict[str, tuple[int, Any]] = {
    "A128CBC+HS256": (32, hashlib.sha256),
    "A256CBC+HS512": (64, hashlib.sha512),
}


class LegacyDecryptError(Exception):
    """The token is malformed or its integrity value does not match; never says which."""


def b64d(text: str) -> bytes:
    if "=" in text:
        raise LegacyDecryptError("padded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _part(header: dict[str, Any], name: str) -> bytes:
    # part(x) = uint32be(len(x)) || x when the header carries x, four zero octets if not.
    if name not in header:
        return b"\x00\x00\x00\x00"
    value = b64d(header[name])
    return struct.pack(">I", len(value)) + value


def derive(cmk: bytes, enc: str, header: dict[str, Any] | None = None) -> tuple[bytes, bytes]:
    """(CEK, CIK) from the CMK: one Concat KDF round for each label."""
    header = header or {}
    h = METHODS[enc][1]

    def digest(bits: int, label: bytes) -> bytes:
        data = (b"\x00\x00\x00\x01" + cmk + struct.pack(">I", bits) + enc.encode("ascii")
                + _part(header, "epu") + _part(header, "epv") + label)
        return bytes(h(data).digest())

    cek = digest(4 * len(cmk), b"Encryption")[: len(cmk) // 2]
    cik = digest(8 * len(cmk), b"Integrity")
    return cek, cik


def decrypt(token: str | bytes, cmk: bytes) -> bytes:
    """The plaintext of a legacy compact JWE whose content master key is ``cmk``."""
    text = token.decode("ascii") if isinstance(token, bytes) else token
    segments = text.split(".")
    if len(segments) != 5:
        raise LegacyDecryptError("not five segments")
    try:
        header = json.loads(b64d(segments[0]))
        iv, ciphertext, tag = (b64d(s) for s in segments[2:])
        size, h = METHODS[header["enc"]]
    except (ValueError, KeyError, TypeError):
        raise LegacyDecryptError("malformed") from None
    if len(cmk) != size or len(iv) != 16:
        raise LegacyDecryptError("malformed")
    cek, cik = derive(cmk, header["enc"], header)
    # Check the full-length tag over the first four segments before any CBC work.
    expected = hmac.new(cik, ".".join(segments[:4]).encode("ascii"), h).digest()
    if not hmac.compare_digest(expected, tag):
        raise LegacyDecryptError("integrity check failed")
    try:
        return bytes(unpad(AES.new(cek, AES.MODE_CBC, iv).decrypt(ciphertext), 16))
    except ValueError:
        raise LegacyDecryptError("integrity check failed") from None

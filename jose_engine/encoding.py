"""base64url without padding (RFC 7515 §2) and compact JSON (RFC 8259) helpers."""

from __future__ import annotations

import base64
import binascii
from binascii import b2a_base64

import orjson

from .errors import JoseEngineError

_b64d = base64.urlsafe_b64decode


URLSAFE = bytes.maketrans(b"+/", b"-_")


def b64u_encode(data: bytes) -> bytes:
    """base64url of ``data`` with the ``=`` padding stripped (RFC 7515 §2)."""
    # One pass maps the alphabet and deletes the padding, with no Python-level helper.
    return b2a_base64(data, newline=False).translate(URLSAFE, b"=")


def b64u_decode(data: str | bytes) -> bytes:
    """Inverse of :func:`b64u_encode`; refuses padding and characters outside the alphabet."""
    raw = data.encode("ascii") if isinstance(data, str) else data
    if b"=" in raw or b"+" in raw or b"/" in raw:
        raise JoseEngineError("not unpadded base64url")
    try:
        return _b64d(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise JoseEngineError("not unpadded base64url") from None


def json_bytes(value: object) -> bytes:
    """Compact UTF-8 JSON, no escaped ``/``, as every segment we emit needs."""
    return orjson.dumps(value)

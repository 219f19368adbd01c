"""base64url without padding (RFC 7515 §2) and compact JSON (RFC 8259) helpers."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from binascii import b2a_base64
from typing import Any

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


class InvalidJSON(ValueError):
    """Text that is not strict JSON (RFC 8259), or that JSON cannot hold exactly."""


# orjson reads integers past 64 bits as floats; text with a run this long goes to the stdlib,
# which keeps them exact (our encoder then refuses them rather than rounding).
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def _refuse_constant(name: str) -> Any:
    raise InvalidJSON(f"{name} is not JSON (RFC 8259 §6)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidJSON("a number too large for a double")
    return value


def loads_json(data: bytes | str) -> Any:
    """Parse strict JSON: no NaN or Infinity, big integers exact, depth errors as InvalidJSON."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    try:
        if _LONG_DIGITS.search(raw) is None:
            return orjson.loads(raw)
        return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite)
    except InvalidJSON:
        raise
    except ValueError as exc:  # decode errors, and the stdlib's 4300-digit integer limit
        raise InvalidJSON(f"not valid JSON ({type(exc).__name__})") from None
    except RecursionError:
        raise InvalidJSON("JSON nested too deeply") from None

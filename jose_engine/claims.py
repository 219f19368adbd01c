"""The claims set (RFC 7519 §4): static members encoded once, per-token members spliced in."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any

import orjson

from .claimvalues import calendar_expiry, fixed_lifetime_ms
from .enums import TimeUnit
from .errors import DataError
from .policy import Policy

Clock = Callable[[], float]
Random = Callable[[int], bytes]
_dumps = orjson.dumps
_JSON_ERROR = orjson.JSONEncodeError


def static_claims(policy: Policy) -> dict[str, Any]:
    """The claims whose values never change between tokens of this policy."""
    claims: dict[str, Any] = {}
    if policy.add_issuer:
        claims["iss"] = policy.issuer
    if policy.add_subject:
        claims["sub"] = policy.subject
    if policy.add_audience:
        # RFC 7519 §4.1.3: one audience may be a string; several are an array.
        audiences = policy.audience_list
        claims["aud"] = audiences[0] if len(audiences) == 1 else list(audiences)
    for name, claim in policy.additional_claims.items():
        claims[name] = claim.value
    return claims


def uuid4(random: bytes) -> bytes:
    """RFC 9562 §5.4 version 4 UUID text from 16 random octets."""
    b = bytearray(random)
    b[6] = b[6] & 0x0F | 0x40
    b[8] = b[8] & 0x3F | 0x80
    h = b.hex().encode()
    return b"-".join((h[:8], h[8:12], h[12:16], h[16:20], h[20:]))


class ClaimsTemplate:
    """Renders the claims JSON of one token: ``{dynamic, static, raw data}``."""

    __slots__ = ("_clock", "_rng", "_iat", "_jti", "_exp_ms", "_exp_calendar", "_static",
                 "_protected", "_holder", "_escape")

    def __init__(self, policy: Policy, clock: Clock | None = None,
                 rng: Random | None = None):
        self._clock = clock or time.time
        self._rng = rng or os.urandom
        self._iat = policy.add_issue_time
        self._jti = policy.add_jwt_id
        self._exp_ms: int | None = None
        self._exp_calendar: tuple[TimeUnit, int] | None = None
        if policy.add_expiration_time:
            unit, value = policy.expiration_time_unit, policy.expiration_time_value
            assert unit is not None and value is not None
            self._exp_ms = fixed_lifetime_ms(unit, value)
            if self._exp_ms is None:
                self._exp_calendar = (unit, value)
        static = static_claims(policy)
        self._static = _dumps(static)[1:-1]
        dynamic = {"iat": self._iat, "jti": self._jti, "exp": policy.add_expiration_time}
        self._protected = frozenset(static) | {k for k, on in dynamic.items() if on}
        holder = policy.jwt_claims_claim
        self._holder = None if holder is None else _dumps(holder) + b":"
        self._escape = policy.escape_json_string

    def render(self, value: Any = None, text: str | None = None) -> bytes:
        """Claims JSON for raw data ``value`` (parsed JSON; ``text`` is its source, if any)."""
        members = self._dynamic()
        if self._static:
            members.append(self._static)
        if value is not None:
            raw = self._raw(value, text)
            if raw:
                members.append(raw)
        return b"{" + b",".join(members) + b"}"

    def _dynamic(self) -> list[bytes]:
        now = self._clock()
        members = []
        if self._iat:
            members.append(b'"iat":%d' % math.floor(now))
        if self._jti:
            members.append(b'"jti":"%s"' % uuid4(self._rng(16)))
        if self._exp_ms is not None:
            if self._exp_ms % 1000 == 0:
                members.append(b'"exp":%d' % (math.floor(now) + self._exp_ms // 1000))
            else:
                members.append(b'"exp":%d' % math.floor(now + self._exp_ms / 1000))
        elif self._exp_calendar is not None:
            members.append(b'"exp":%d' % calendar_expiry(now, *self._exp_calendar))
        return members

    def _raw(self, value: Any, text: str | None) -> bytes:
        holder = self._holder
        try:
            if holder is not None:
                if self._escape or isinstance(value, _Text):
                    # escapeJsonString: the document's text as one JSON string.
                    return holder + _dumps(text if text is not None else _dumps(value).decode())
                return holder + _dumps(value)
            if not isinstance(value, dict):
                raise DataError("the raw data must be a JSON object to become claims; set "
                                "jwtClaimsClaim to embed other data as one claim",
                                path="data")
            if not self._protected.isdisjoint(value):
                # Claims the policy sets win over raw-data members of the same name.
                value = {k: v for k, v in value.items() if k not in self._protected}
            return _dumps(value)[1:-1]
        except _JSON_ERROR as exc:
            raise DataError(f"the raw data cannot be encoded as JSON ({exc})",
                            path="data") from None


class _Text(str):
    """Raw data that is not JSON: always embedded as a string claim."""

    __slots__ = ()


def parse_raw(raw: bytes | str | None) -> tuple[Any, str | None]:
    """Raw message data as (JSON value or ``_Text``, source text); empty means none."""
    if raw is None:
        return None, None
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DataError("the raw data is not UTF-8 text", path="data") from None
    else:
        text = raw
    if not text.strip():
        return None, None
    try:
        return orjson.loads(text), text
    except orjson.JSONDecodeError:
        return _Text(text), text

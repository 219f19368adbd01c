"""``additionalClaimMap`` values (MapValueType) and expiry steps (EnumTimeUnit)."""

from __future__ import annotations

import calendar
import math
import re
import struct
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .enums import TimeUnit, ValueType
from .errors import MintError, PolicyError

_INT = re.compile(r"[+-]?[0-9]+")
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
# RFC 3986 §3: scheme ":" then only unreserved, reserved and percent-encoded characters.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:"
                  r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")


def parse_claim_value(text: str, vtype: ValueType, path: str) -> Any:
    """The JSON value a MapValue stands for; a value that does not parse names ``path``."""
    return _PARSERS[vtype](text.strip() if vtype is not ValueType.STRING else text, path)


def _string(text: str, path: str) -> str:
    return text


def _boolean(text: str, path: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise PolicyError("expected true or false for a BOOLEAN claim", path=path)
    return lowered == "true"


def _ranged(bounds: tuple[int, int], kind: str) -> Callable[[str, str], int]:
    def parse(text: str, path: str) -> int:
        if len(text) > 24:  # no 64-bit integer needs more; int() of huge text is slow
            raise PolicyError(f"out of range for an {kind} claim", path=path)
        if not _INT.fullmatch(text):
            raise PolicyError(f"expected a whole number for an {kind} claim", path=path)
        value = int(text)
        if not bounds[0] <= value <= bounds[1]:
            raise PolicyError(f"out of range for an {kind} claim", path=path)
        return value
    return parse


def _double(text: str, path: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise PolicyError("expected a number for a DOUBLE claim", path=path) from None
    if not math.isfinite(value):
        raise PolicyError("expected a finite number for a DOUBLE claim", path=path)
    return value


def _float(text: str, path: str) -> float:
    value = _double(text.rstrip("fF"), path)
    single = _as_single(value)
    if single is None:
        raise PolicyError("out of range for a FLOAT claim", path=path)
    # The shortest decimal that reads back as the same 32-bit float: 0.1 stays 0.1.
    for digits in range(1, 10):
        candidate = float(f"{single:.{digits}g}")
        if _as_single(candidate) == single:
            return candidate
    return single


def _as_single(value: float) -> float | None:
    try:
        return float(struct.unpack("<f", struct.pack("<f", value))[0])
    except OverflowError:  # rounded past the largest 32-bit float
        return None


def _string_list(text: str, path: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _uri(text: str, path: str) -> str:
    if not _URI.fullmatch(text):
        raise PolicyError("expected an absolute URI (RFC 3986) for a URI claim", path=path)
    return text


_PARSERS: dict[ValueType, Callable[[str, str], Any]] = {
    ValueType.STRING: _string,
    ValueType.BOOLEAN: _boolean,
    ValueType.INTEGER: _ranged(_INT32, "INTEGER"),
    ValueType.LONG: _ranged(_INT64, "LONG"),
    ValueType.DOUBLE: _double,
    ValueType.FLOAT: _float,
    ValueType.STRING_LIST: _string_list,
    ValueType.URI: _uri,
}

_FIXED_MS = {
    TimeUnit.MILLI_SECONDS: 1,
    TimeUnit.SECONDS: 1000,
    TimeUnit.MINUTES: 60_000,
    TimeUnit.HOURS: 3_600_000,
    TimeUnit.DAYS: 86_400_000,
    TimeUnit.WEEKS: 604_800_000,
}
_MONTHS_PER = {TimeUnit.MONTHS: 1, TimeUnit.YEARS: 12}


# Calendar lifetimes beyond this many months are refused when loaded: datetime ends at 9999.
MAX_CALENDAR_MONTHS = 12_000


MAX_LIFETIME_MS = 1000 * 366 * 86_400_000  # a thousand years, in any unit


def check_lifetime(unit: TimeUnit, value: int, path: str) -> None:
    """Refuse lifetimes over a thousand years: beyond any token's use, and datetime's range."""
    months = _MONTHS_PER.get(unit)
    if months is not None:
        if value * months > MAX_CALENDAR_MONTHS:
            raise PolicyError(f"at most {MAX_CALENDAR_MONTHS // months} {unit.value}",
                              path=path)
    elif value * _FIXED_MS[unit] > MAX_LIFETIME_MS:
        raise PolicyError(f"at most {MAX_LIFETIME_MS // _FIXED_MS[unit]} {unit.value} "
                          "(a thousand years)", path=path)


def fixed_lifetime_ms(unit: TimeUnit, value: int) -> int | None:
    """The lifetime in milliseconds, or ``None`` for the calendar units MONTHS and YEARS."""
    step = _FIXED_MS.get(unit)
    return None if step is None else step * value


def calendar_expiry(now: float, unit: TimeUnit, value: int) -> int:
    """``floor(now + value months/years)`` stepping the UTC calendar; days clamp to month end."""
    start = datetime.fromtimestamp(now, UTC)
    months = start.year * 12 + start.month - 1 + value * _MONTHS_PER[unit]
    year, month = divmod(months, 12)
    month += 1
    if year > 9999:
        raise MintError("the expiry falls after the year 9999", path="policy.expirationTimeValue")
    day = min(start.day, calendar.monthrange(year, month)[1])
    return math.floor(start.replace(year=year, month=month, day=day).timestamp())

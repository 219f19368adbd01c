"""The claims set (RFC 7519 §4): static members encoded once, per-token members spliced in."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from types import CodeType
from typing import Any

import orjson

from .claimvalues import calendar_expiry, fixed_lifetime_ms
from .encoding import InvalidJSON, loads_json
from .errors import DataError
from .policy import Policy
from .randomness import uuid4, uuid4_text

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


# Each per-token member as an f-string field. The code that renders the claims is written
# for the policy's exact shape once, at compile time (as attrs and dataclasses write
# __init__), and the compiled policy extends it with its signing and encryption steps.
_EXP = {
    "seconds": '"exp":{t + EXP_SECONDS}',
    "fraction": '"exp":{floor(now + EXP_SECONDS)}',
    "calendar": '"exp":{calendar_expiry(now, *EXP_CALENDAR)}',
}
_CLAIMS_CODE = """\
    now = clock()
    t = floor(now)
    claims = f'{{{MEMBERS}'.encode()
    if value is None:
        claims += b"}"
    {OBJECT_FAST_PATH}else:
        raw = raw_member(value, text)
        claims = claims + SEP + raw + b"}" if raw else claims + b"}"
"""
# Raw data that is a plain object sharing no name with the policy's claims (the common
# case) is spliced in place: its own closing brace closes the claims set.
_OBJECT_FAST_PATH = """\
elif value.__class__ is dict and protected.isdisjoint(value):
        try:
            raw = dumps(value)
        except JSONEncodeError:
            raw_member(value, text)  # raises the DataError that names the reason
        claims = claims + SEP + raw[1:] if len(raw) > 2 else claims + b"}"
    """


@functools.lru_cache(maxsize=512)
def _compiled(source: str, name: str) -> CodeType:
    # Policies of the same shape share one code object: 10,000 policies stay small.
    return compile(source, f"<jose_engine {name}>", "exec")


def write_function(source: str, namespace: dict[str, Any], name: str) -> Callable[..., Any]:
    """Compile generated ``source`` in ``namespace`` and return its function ``name``."""
    # The source comes only from this package's templates; policy values travel in
    # ``namespace``, never as text, so nothing a policy holds is ever compiled.
    exec(_compiled(source, name), namespace)  # noqa: S102
    function: Callable[..., Any] = namespace[name]
    return function


class ClaimsTemplate:
    """Renders the claims JSON of one token: ``{dynamic, static, raw data}``.

    ``render(value=None, text=None) -> bytes``: ``value`` is the raw data as a parsed JSON
    value (``None``: no raw data) and ``text`` its source text, when it came as text.
    ``code`` and ``namespace`` are the generated lines that leave the claims in ``claims``,
    for callers that write a longer per-token function around them.
    """

    __slots__ = ("_escape", "_holder", "code", "namespace", "protected", "render")

    def __init__(self, policy: Policy, clock: Clock | None = None,
                 rng: Random | None = None):
        static = static_claims(policy)
        self.protected = frozenset(static) | policy.added_registered_claims()
        holder = policy.jwt_claims_claim
        self._holder = None if holder is None else _dumps(holder) + b":"
        self._escape = policy.escape_json_string
        self.namespace: dict[str, Any] = {
            "clock": clock or time.time, "floor": math.floor,
            "jti": uuid4_text if rng is None else lambda: uuid4(rng(16)),
            "calendar_expiry": calendar_expiry, "raw_member": self._raw,
            "protected": self.protected, "dumps": _dumps, "JSONEncodeError": _JSON_ERROR,
            "STATIC": _dumps(static)[1:-1].decode(),
        }
        self.code = self._claims_code(policy, static)
        self.render: Callable[..., bytes] = write_function(
            "def render(value=None, text=None):\n" + self.code + "    return claims\n",
            dict(self.namespace), "render")

    def _claims_code(self, policy: Policy, static: dict[str, Any]) -> str:
        members = []
        if policy.add_issue_time:
            members.append('"iat":{t}')
        if policy.add_jwt_id:
            members.append('"jti":"{jti()}"')
        if policy.add_expiration_time:
            members.append(self._exp_member(policy, self.namespace))
        if static:
            members.append("{STATIC}")
        self.namespace["SEP"] = b"," if members else b""
        fast = _OBJECT_FAST_PATH if self._holder is None else ""
        return _CLAIMS_CODE.replace("{MEMBERS}", ",".join(members)).replace(
            "{OBJECT_FAST_PATH}", fast)

    @staticmethod
    def _exp_member(policy: Policy, namespace: dict[str, Any]) -> str:
        unit, value = policy.expiration_time_unit, policy.expiration_time_value
        assert unit is not None and value is not None
        lifetime_ms = fixed_lifetime_ms(unit, value)
        if lifetime_ms is None:
            namespace["EXP_CALENDAR"] = (unit, value)
            return _EXP["calendar"]
        if lifetime_ms % 1000 == 0:
            namespace["EXP_SECONDS"] = lifetime_ms // 1000
            return _EXP["seconds"]
        namespace["EXP_SECONDS"] = lifetime_ms / 1000
        return _EXP["fraction"]

    def _raw(self, value: Any, text: str | None) -> bytes:
        try:
            if self._holder is not None:
                return self._holder + _dumps(self._holder_value(value, text))
            if value.__class__ is not dict and not isinstance(value, dict):
                raise DataError("the raw data must be a JSON object to become claims; set "
                                "jwtClaimsClaim to embed other data as one claim",
                                path="data")
            if not self.protected.isdisjoint(value):
                # Claims the policy sets win over raw-data members of the same name.
                value = {k: v for k, v in value.items() if k not in self.protected}
            return _dumps(value)[1:-1]
        except _JSON_ERROR as exc:
            raise DataError(f"the raw data cannot be encoded as JSON ({exc})",
                            path="data") from None

    def _holder_value(self, value: Any, text: str | None) -> Any:
        """The value of the ``jwtClaimsClaim`` claim for this raw data."""
        if self._escape or isinstance(value, _Text):
            # escapeJsonString, or text that is not JSON: the document's text as a string.
            return text if text is not None else _dumps(value).decode()
        return value


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
    elif isinstance(raw, str):
        text = raw
    else:
        raise DataError(f"raw data must be bytes or text, not {type(raw).__name__}",
                        path="data")
    if not text.strip():
        return None, None
    try:
        return loads_json(text), text
    except InvalidJSON:  # not strict JSON (NaN, 1e400, too deep...): text, as XML would be
        return _Text(text), text

"""Every token we mint verifies with an independent library and holds exactly the claims
the policy asked for."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jose_engine import compile_policy
from tests.keysets import keyset, public, signing_jwks
from tests.strategies import NOW, RAW_OBJECT, UNITS, same_value, signed_policy

_KEYS = None


def _keys() -> dict[str, Any]:
    global _KEYS
    if _KEYS is None:
        _KEYS = keyset()
    return _KEYS


def _expected_exp(now: float, unit: str, value: int) -> int:
    """An independent reading of the semantics page: fixed steps, or UTC calendar steps."""
    step = UNITS[unit]
    if step is not None:
        if unit == "MILLI_SECONDS":
            return math.floor(now + value / 1000)
        return math.floor(now) + value * int(step)
    start = datetime.fromtimestamp(now, UTC)
    months = value * (12 if unit == "YEARS" else 1) + start.month - 1
    year, month = start.year + months // 12, months % 12 + 1
    day = start.day
    while True:
        try:
            return math.floor(start.replace(year=year, month=month, day=day).timestamp())
        except ValueError:
            day -= 1


def _verify(token: str, kid: str) -> dict[str, Any]:
    member = signing_jwks()[kid]
    key = jwt.PyJWK(public(member)).key if member["kty"] != "oct" else jwt.PyJWK(member).key
    decoded = jwt.api_jwt.decode_complete(
        token, key, algorithms=[member["alg"]],
        options={"verify_exp": False, "verify_iat": False, "verify_aud": False,
                 "verify_nbf": False, "verify_iss": False, "verify_sub": False,
                 "verify_jti": False})
    assert decoded["header"]["alg"] == member["alg"]
    assert decoded["header"]["kid"] == kid
    return dict(decoded["payload"])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=signed_policy(), raw=RAW_OBJECT | st.none(), now=NOW)
def test_tokens_verify_with_pyjwt_and_hold_exactly_the_policy_claims(
        case: tuple[dict[str, Any], dict[str, Any]], raw: dict[str, Any] | None,
        now: float) -> None:
    pol, expected = case
    if pol.get("expirationTimeUnit") in ("MONTHS", "YEARS"):
        now = min(now, 3_000_000_000)
    compiled = compile_policy(pol, _keys(), clock=lambda: now)
    claims = _verify(compiled.mint(raw), pol["jwkIdForValidationAndSign"])
    dynamic = {}
    if pol["addIssueTime"]:
        dynamic["iat"] = math.floor(now)
    if pol["addExpirationTime"]:
        dynamic["exp"] = _expected_exp(now, pol["expirationTimeUnit"],
                                       pol["expirationTimeValue"])
    if pol["addJWTID"]:
        assert uuid.UUID(claims["jti"]).version == 4
        dynamic["jti"] = claims["jti"]
    # Raw members fill in only what the policy does not set itself.
    added = set(expected) | {c for c, on in (("iat", pol["addIssueTime"]), ("jti",
                             pol["addJWTID"]), ("exp", pol["addExpirationTime"])) if on}
    wanted = {k: v for k, v in (raw or {}).items() if k not in added}
    wanted.update(expected)
    wanted.update(dynamic)
    assert set(claims) == set(wanted)
    for name, value in wanted.items():
        assert same_value(claims[name], value), name
    for registered in ("iat", "exp"):
        if registered in dynamic:
            assert type(claims[registered]) is int

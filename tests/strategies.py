"""Hypothesis strategies: policies, claim maps with their expected values, raw data."""

from __future__ import annotations

import math
import struct
from typing import Any

from hypothesis import strategies as st

from tests.keysets import SIGNING

UNITS = {"MILLI_SECONDS": 0.001, "SECONDS": 1, "MINUTES": 60, "HOURS": 3600, "DAYS": 86400,
         "WEEKS": 604800, "MONTHS": None, "YEARS": None}
NAME = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
               max_size=12)
SAFE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
               min_size=1, max_size=20)
ITEM = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs"),
                             exclude_characters=","), min_size=1, max_size=8)


def _f32(x: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


@st.composite
def claim_value(draw: st.DrawFn) -> tuple[dict[str, str], Any]:
    """A MapValue as a policy writes it, and the JSON value it must decode to."""
    kind = draw(st.sampled_from(["STRING", "BOOLEAN", "INTEGER", "LONG", "DOUBLE", "FLOAT",
                                 "STRING_LIST", "URI"]))
    if kind == "STRING":
        text = draw(SAFE)
        return {"value": text, "valueType": kind}, text
    if kind == "BOOLEAN":
        b = draw(st.booleans())
        text = draw(st.sampled_from([str(b), str(b).lower(), str(b).upper()]))
        return {"value": text, "valueType": kind}, b
    if kind in ("INTEGER", "LONG"):
        bits = 31 if kind == "INTEGER" else 63
        n = draw(st.integers(-(2**bits), 2**bits - 1))
        return {"value": str(n), "valueType": kind}, n
    if kind == "DOUBLE":
        x = draw(st.floats(allow_nan=False, allow_infinity=False))
        return {"value": repr(x), "valueType": kind}, x
    if kind == "FLOAT":
        x = draw(st.floats(width=32, allow_nan=False, allow_infinity=False))
        return {"value": repr(x), "valueType": kind}, ("f32", _f32(x))
    if kind == "STRING_LIST":
        items = draw(st.lists(ITEM, min_size=1, max_size=4))
        return {"value": " , ".join(items), "valueType": kind}, items
    uri = draw(st.sampled_from(["https://example.com/a?b=c#d", "urn:isbn:0451450523",
                                "mailto:a@example.com", "http://[::1]:80/%20x"]))
    return {"value": uri, "valueType": kind}, uri


@st.composite
def signed_policy(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A random signing policy and the claims (other than iat/jti/exp) it must produce."""
    kid = draw(st.sampled_from([kid for kid, _, _ in SIGNING]))
    expected: dict[str, Any] = {}
    pol: dict[str, Any] = {"type": "policy-jose-implementation", "sign": True,
                           "signByIssuer": False, "jwkIdForValidationAndSign": kid,
                           "encrypt": False}
    for switch, field, claim, strategy in (
            ("addIssuer", "issuer", "iss", SAFE), ("addSubject", "subject", "sub", SAFE),
            ("addTypeToHeader", "typeValue", None, st.sampled_from(["JWT", "at+jwt"]))):
        on = draw(st.booleans())
        pol[switch] = on
        if on:
            pol[field] = draw(strategy)
            if claim:
                expected[claim] = pol[field]
    pol["addAudience"] = draw(st.booleans())
    if pol["addAudience"]:
        auds = draw(st.lists(SAFE, min_size=1, max_size=3))
        pol["audienceList"] = auds
        expected["aud"] = auds[0] if len(auds) == 1 else auds
    for switch in ("addIssueTime", "addJWTID", "addExpirationTime"):
        pol[switch] = draw(st.booleans())
    if pol["addExpirationTime"]:
        pol["expirationTimeUnit"] = draw(st.sampled_from(sorted(UNITS)))
        pol["expirationTimeValue"] = draw(st.integers(1, 1000))
    taken = set(expected) | {"iat", "jti", "exp"}
    claims = draw(st.dictionaries(NAME.filter(lambda n: n not in taken), claim_value(),
                                  max_size=4))
    pol["additionalClaimMap"] = {name: mv for name, (mv, _) in claims.items()}
    expected.update({name: value for name, (_, value) in claims.items()})
    return pol, expected


JSON_SCALAR = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
               | st.floats(allow_nan=False, allow_infinity=False) | SAFE)
JSON_VALUE = st.recursive(JSON_SCALAR, lambda kids: st.lists(kids, max_size=3)
                          | st.dictionaries(NAME, kids, max_size=3), max_leaves=8)
RAW_OBJECT = st.dictionaries(NAME | st.sampled_from(["exp", "iss", "iat", "jti", "aud"]),
                             JSON_VALUE, max_size=5)
NOW = st.floats(min_value=0, max_value=4_000_000_000, allow_nan=False)


def same_value(actual: Any, expected: Any) -> bool:
    """Claim equality, with FLOAT claims compared as the 32-bit float they name."""
    if isinstance(expected, tuple) and expected and expected[0] == "f32":
        return isinstance(actual, (int, float)) and _f32(float(actual)) == expected[1]
    if isinstance(expected, float) and isinstance(actual, (int, float)):
        return math.isclose(actual, expected, rel_tol=0, abs_tol=0) or actual == expected
    return bool(actual == expected)

"""Claims as the semantics page writes them: value types, lifetimes, raw data, headers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from jose_engine import DataError, SecurityWarning, compile_policy
from jose_engine.encoding import b64u_decode
from tests.keysets import keyset, signing_jwks
from tests.policies import policy

HS = signing_jwks()["hs256"]


def _payload_text(token: str) -> str:
    return b64u_decode(token.split(".")[1]).decode()


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, jwt.PyJWK(HS).key, algorithms=["HS256"],
                           options={"verify_aud": False, "verify_exp": False}))


def _mint(data: Any = None, raw: bool = False, **changes: Any) -> str:
    compiled = compile_policy(policy(**changes), keyset("hs256"))
    return compiled.mint_raw(data) if raw else compiled.mint(data)


def test_float_claims_are_the_shortest_decimal_of_the_32_bit_float() -> None:
    token = _mint(additionalClaimMap={"f": {"value": "0.1", "valueType": "FLOAT"},
                                      "d": {"value": "0.1", "valueType": "DOUBLE"}})
    assert '"f":0.1' in _payload_text(token)
    assert '"d":0.1' in _payload_text(token)


def test_long_claims_keep_every_digit() -> None:
    token = _mint(additionalClaimMap={"l": {"value": "9223372036854775807",
                                            "valueType": "LONG"}})
    assert '"l":9223372036854775807' in _payload_text(token)


def test_value_types_decode_as_json_types() -> None:
    claims = _claims(_mint(additionalClaimMap={
        "b": {"value": "TRUE", "valueType": "BOOLEAN"},
        "i": {"value": "-42", "valueType": "INTEGER"},
        "l": {"value": " a , b,,c ", "valueType": "STRING_LIST"},
        "u": {"value": "https://example.com/x", "valueType": "URI"},
        "s": {"value": " kept as is "}}))
    assert (claims["b"], claims["i"], claims["l"]) == (True, -42, ["a", "b", "c"])
    assert (claims["u"], claims["s"]) == ("https://example.com/x", " kept as is ")


def test_one_audience_is_a_string_several_an_array() -> None:
    assert _claims(_mint(audienceList=["a"]))["aud"] == "a"
    assert _claims(_mint(audienceList=["a", "b"]))["aud"] == ["a", "b"]


def test_claims_json_is_compact_with_unescaped_slashes() -> None:
    text = _payload_text(_mint())
    assert '"iss":"https://issuer.example"' in text
    assert ": " not in text and ", " not in text
    assert all("=" not in part for part in _mint().split("."))


def test_the_policy_claims_win_over_raw_data() -> None:
    claims = _claims(_mint({"iss": "evil", "exp": 1, "aud": "x", "role": "user"}))
    assert claims["iss"] == "https://issuer.example"
    assert claims["exp"] > 1 and claims["aud"] == "api://one" and claims["role"] == "user"
    assert _payload_text(_mint({"iss": "evil"})).count('"iss"') == 1


def test_raw_data_must_be_an_object_without_jwt_claims_claim() -> None:
    with pytest.raises(DataError, match="jwtClaimsClaim"):
        _mint([1, 2])
    with pytest.raises(DataError, match="jwtClaimsClaim"):
        _mint("<a>xml</a>", raw=True)


def test_jwt_claims_claim_embeds_json_as_json() -> None:
    assert _claims(_mint(b'[1, {"a": 2}]', raw=True, jwtClaimsClaim="data"))["data"] == \
        [1, {"a": 2}]


def test_escape_json_string_embeds_the_document_text() -> None:
    text = '{"a": [1, 2]}'
    claims = _claims(_mint(text, raw=True, jwtClaimsClaim="data", escapeJsonString=True))
    assert claims["data"] == text


def test_text_that_is_not_json_is_always_a_string_claim() -> None:
    claims = _claims(_mint("<a>xml</a>", raw=True, jwtClaimsClaim="data"))
    assert claims["data"] == "<a>xml</a>"


def test_empty_raw_data_adds_no_claims() -> None:
    assert "data" not in _claims(_mint(b"  \n", raw=True, jwtClaimsClaim="data"))
    assert set(_claims(_mint(b"", raw=True))) == {"iat", "jti", "exp", "iss", "sub", "aud"}


def test_raw_data_that_json_cannot_hold_is_a_data_error() -> None:
    with pytest.raises(DataError, match="JSON"):
        _mint({"big": 2**70})
    with pytest.raises(DataError, match="UTF-8"):
        _mint(b"\xff\xfe", raw=True, jwtClaimsClaim="data")


def test_header_carries_alg_kid_and_typ() -> None:
    header = jwt.get_unverified_header(_mint())
    assert header == {"alg": "HS256", "kid": "hs256", "typ": "JWT"}
    assert "typ" not in jwt.get_unverified_header(_mint(addTypeToHeader=False))


def test_unsecured_jwt_when_neither_signing_nor_encrypting() -> None:
    with pytest.warns(SecurityWarning):
        compiled = compile_policy(policy(sign=False, jwkIdForValidationAndSign=None),
                                  keyset("hs256"))
    token = compiled.mint({"a": 1})
    head, _payload, signature = token.split(".")
    assert json.loads(b64u_decode(head)) == {"alg": "none", "typ": "JWT"}
    assert signature == ""
    assert jwt.decode(token, options={"verify_signature": False})["a"] == 1


def test_months_step_the_utc_calendar() -> None:
    jan31 = datetime(2024, 1, 31, 23, 30, tzinfo=UTC).timestamp()
    c = compile_policy(policy(expirationTimeUnit="MONTHS", expirationTimeValue=1),
                       keyset("hs256"), clock=lambda: jan31)
    exp = _claims(c.mint())["exp"]
    assert datetime.fromtimestamp(exp, UTC) == datetime(2024, 2, 29, 23, 30, tzinfo=UTC)


_TZ_SCRIPT = """
import json, sys
from jose_engine import compile_policy
from jose_engine.encoding import b64u_decode
policy, keys = json.loads(sys.argv[1]), json.loads(sys.argv[2])
c = compile_policy(policy, keys, clock=lambda: 1711843200.5)  # 2024-03-31 00:00:00.5 UTC
claims = json.loads(b64u_decode(c.mint().split(".")[1]))
print(claims["exp"] - claims["iat"])
"""


@pytest.mark.parametrize("unit", ["MONTHS", "DAYS"])
def test_lifetime_does_not_depend_on_the_host_time_zone(unit: str) -> None:
    pol = json.dumps(policy(expirationTimeUnit=unit, expirationTimeValue=1))
    keys = json.dumps(keyset("hs256"))
    results = set()
    for tz in ("UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Asia/Kathmandu"):
        env = dict(os.environ, TZ=tz)
        out = subprocess.run([sys.executable, "-c", _TZ_SCRIPT, pol, keys], env=env,
                             capture_output=True, text=True, check=True)
        results.add(int(out.stdout))
    assert len(results) == 1
    assert results.pop() == (30 * 86400 if unit == "MONTHS" else 86400)


def test_jti_is_unique_per_token() -> None:
    c = compile_policy(policy(), keyset("hs256"))
    assert len({_claims(c.mint())["jti"] for _ in range(200)}) == 200


def test_clock_and_random_source_can_be_replaced() -> None:
    c = compile_policy(policy(), keyset("hs256"), clock=lambda: 1000.9,
                       rng=lambda n: bytes(n))
    claims = _claims(c.mint())
    assert (claims["iat"], claims["exp"]) == (1000, 4600)
    assert claims["jti"] == "00000000-0000-4000-8000-000000000000"


def test_raw_integers_past_64_bits_are_refused_not_rounded() -> None:
    with pytest.raises(DataError, match="JSON"):
        _mint(b'{"n": 12345678901234567890123}', raw=True)
    assert _claims(_mint(b'{"n": 1234567890123456789}', raw=True))["n"] == 1234567890123456789

"""Hostile or broken input to the core gets our error, naming the field or kid."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jwcrypto import jwk

from jose_engine import JoseEngineError, KeySetError, compile_policy, load_keyset
from tests.conftest import EXAMPLES

BASIC = json.loads((EXAMPLES / "policies/basic-jwt.json").read_text())
KEYS = json.loads((EXAMPLES / "keys.json").read_text())


def _policy(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(BASIC)
    document["policy"].update(changes)
    return document


def _gen(**params: Any) -> dict[str, Any]:
    return dict(json.loads(jwk.JWK.generate(**params).export()), kid="k")


_ED, _EC, _RSA = _gen(kty="OKP", crv="Ed25519"), _gen(kty="EC", crv="P-256"), \
    _gen(kty="RSA", size=2048)
BAD_SIGNING_KEYS = {
    "Ed25519 x not from d": dict(_ED, x=_gen(kty="OKP", crv="Ed25519")["x"]),
    "Ed25519 d too short": dict(_ED, d="AAAAAAA"),
    "EC point off the curve": dict(_EC, y=_EC["x"]),
    "EC d not the point's": dict(_EC, d=_gen(kty="EC", crv="P-256")["d"]),
    "RSA without q": {k: v for k, v in _RSA.items() if k != "q"},
    "RSA wrong d": dict(_RSA, d=_RSA["dp"]),
    "RSA with crv": dict(_RSA, crv="P-256"),
    "oct k not base64url": {"kty": "oct", "k": "a+b/" + "A" * 40, "kid": "k"},
    "alg not a string": dict(_EC, alg=["ES256"]),
}


@pytest.mark.parametrize("name", BAD_SIGNING_KEYS)
def test_broken_signing_keys_are_refused_naming_the_kid(name: str) -> None:
    member = BAD_SIGNING_KEYS[name]
    with pytest.raises(KeySetError) as info:
        compile_policy(_policy(signByIssuer=False, jwkIdForValidationAndSign="k"),
                       {"keys": [member]})
    assert info.value.kid == "k"
    for secret in ("d", "k", "p", "q"):
        if isinstance(member.get(secret), str) and len(member[secret]) > 8:
            assert member[secret] not in str(info.value)


def test_a_low_order_x25519_key_is_refused_when_compiled() -> None:
    policy = _policy(sign=False, encrypt=True, encryptByIssuer=False,
                     jwkIdForDecryptionAndEncryption="k1", encryptionMethod="A256GCM")
    with pytest.raises(KeySetError) as info:
        compile_policy(policy, {"keys": [{"kty": "OKP", "crv": "X25519", "x": "A" * 43,
                                          "kid": "k1"}]})
    assert info.value.kid == "k1"


@pytest.mark.parametrize("document", [
    {"keys": [], "credentials": {"c": {"sign": ["x"]}}},
    {"keys": [], "defaultCredential": []},
    {"keys": [], "credentials": {"c": "k"}},
    "a\x00b",
], ids=["kid list", "default list", "slots string", "NUL path"])
def test_malformed_key_sets_are_refused(document: Any) -> None:
    with pytest.raises(KeySetError):
        load_keyset(document)


@pytest.mark.parametrize("changes, field", [
    ({"additionalClaimMap": {"x": {"value": "9" * 5000, "valueType": "LONG"}}},
     "policy.additionalClaimMap.x.value"),
    ({"issuer": "a\ud800"}, "policy.issuer"),
    ({"typeValue": "\udfff"}, "policy.typeValue"),
    ({"audienceList": ["\ud800"]}, "policy.audienceList[0]"),
    ({"additionalClaimMap": {"x": {"value": "\ud800"}}}, "policy.additionalClaimMap.x.value"),
    ({"additionalClaimMap": {"\ud800": {"value": "x"}}}, "policy.additionalClaimMap.\\ud800"),
    ({"expirationTimeValue": 10**400 + 1, "expirationTimeUnit": "MILLI_SECONDS"},
     "policy.expirationTimeValue"),
], ids=["huge LONG", "surrogate issuer", "surrogate typ", "surrogate audience",
        "surrogate claim", "surrogate claim name", "huge lifetime"])
def test_hostile_policy_values_name_their_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(JoseEngineError) as info:
        compile_policy(_policy(**changes), KEYS)
    assert info.value.path == field
    str(info.value).encode("utf-8")  # the message itself always prints


@pytest.mark.parametrize("raw", [
    "[" * 5000 + "1234567890123456789" + "]" * 5000,
    '{"x": NaN, "y": 1234567890123456789}',
    '{"z": 1e400, "y": 1234567890123456789}',
    b'{"n": 123456789012345678901}',
    123,
], ids=["deep with long number", "NaN", "1e400", "big int", "not text"])
def test_raw_data_that_json_cannot_carry_is_a_data_error(raw: Any) -> None:
    compiled = compile_policy(BASIC, KEYS)
    with pytest.raises(JoseEngineError) as info:
        compiled.mint_raw(raw)
    assert info.value.code == "invalid_data"


def test_a_credential_that_is_not_a_name_is_a_mint_error() -> None:
    with pytest.raises(JoseEngineError, match="credential name"):
        compile_policy(BASIC, KEYS).mint(credential=[])  # type: ignore[arg-type]


@pytest.mark.parametrize("variable, field", [
    ({"type": "BODY", "messageContentType": "JSON", "jsonPathValue": "$["}, "jsonPathValue"),
    ({"type": "BODY", "messageContentType": "XML", "xpathValue": "/a["}, "xpathValue"),
    ({"type": "HEADER", "headerName": "X\r\nSet-Cookie: a=b"}, "headerName"),
], ids=["JSONPath", "XPath", "header name"])
def test_bad_variables_are_refused_when_the_policy_compiles(variable: dict[str, Any],
                                                            field: str) -> None:
    document = json.loads((EXAMPLES / "policies/variable-target.json").read_text())
    document["policy"]["joseTargetVariable"] = variable
    with pytest.raises(JoseEngineError) as info:
        compile_policy(document, KEYS)
    assert info.value.path == f"policy.joseTargetVariable.{field}"

"""apply_policy: every joseTarget and output target, claim precedence, errors, the seed's
Variable Target example end to end. Tokens are checked with PyJWT."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import orjson
import pytest

from jose_engine import DataError, MessageError, MintError, compile_policy
from jose_engine.runtime import (
    Message,
    apply_policy,
    error_body,
    error_status,
    message_from_json,
    prepare,
)
from tests.test_runtime_support import OTHER_SECRET, claims, compiled

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
JSON = {"Content-Type": "application/json"}
HEADER_VAR = {"type": "HEADER", "headerName": "X-Data"}


def out_header(message: Message, name: str) -> str:
    value = message.header(name)
    assert value is not None
    return value


# -- joseTarget: where the raw data comes from ------------------------------------------------

def test_body_target_makes_the_json_body_the_claims() -> None:
    msg = Message(headers=JSON, body=b'{"user": "alice", "n": 1}')
    token = apply_policy(compiled(), msg).body.decode()
    got = claims(token)
    assert (got["user"], got["n"], got["sub"]) == ("alice", 1, "user123")


@pytest.mark.parametrize("value", ["Bearer {\"user\": \"bob\"}", "Basic {\"user\": \"bob\"}",
                                   "bearer   {\"user\": \"bob\"}", "{\"user\": \"bob\"}"])
def test_authorization_target_removes_the_scheme(value: str) -> None:
    msg = Message(headers={"Authorization": value}, body=b'{"ignored": true}')
    token = apply_policy(compiled(joseTarget="AUTHORIZATION_HEADER"), msg).body.decode()
    got = claims(token)
    assert got["user"] == "bob" and "ignored" not in got


def test_authorization_target_with_a_plain_credential_embeds_it_as_a_claim() -> None:
    msg = Message(headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    pol = compiled(joseTarget="AUTHORIZATION_HEADER", jwtClaimsClaim="credentials")
    token = apply_policy(pol, msg).body.decode()
    assert claims(token)["credentials"] == "YWxpY2U6c2VjcmV0"


@pytest.mark.parametrize("headers", [{}, [("Authorization", "Bearer a"),
                                          ("authorization", "Bearer b")]])
def test_authorization_target_needs_exactly_one_header(headers: Any) -> None:
    with pytest.raises(MessageError) as err:
        apply_policy(compiled(joseTarget="AUTHORIZATION_HEADER"), Message(headers=headers))
    assert err.value.path == "message.headers.Authorization"


def test_variable_target_reads_the_variable() -> None:
    pol = compiled(joseTarget="CHOOSE_FROM_VARIABLE", joseTargetVariable=HEADER_VAR)
    msg = Message(headers={"X-Data": '{"from": "header"}'}, body=b'{"from": "body"}')
    assert claims(apply_policy(pol, msg).body.decode())["from"] == "header"


def test_variable_target_without_the_value_names_the_field() -> None:
    pol = compiled(joseTarget="CHOOSE_FROM_VARIABLE", joseTargetVariable=HEADER_VAR)
    with pytest.raises(MessageError) as err:
        apply_policy(pol, Message())
    assert err.value.path == "message.headers.X-Data"
    assert "policy.joseTargetVariable" in str(err.value)


def test_variable_target_reads_a_json_subtree_as_claims() -> None:
    var = {"type": "BODY", "messageContentType": "JSON", "jsonPathValue": "$.payload"}
    pol = compiled(joseTarget="CHOOSE_FROM_VARIABLE", joseTargetVariable=var)
    msg = Message(body=b'{"payload": {"user": "carol"}, "other": 1}')
    got = claims(apply_policy(pol, msg).body.decode())
    assert got["user"] == "carol" and "other" not in got and "payload" not in got


def test_variable_target_reads_xml_text_as_a_string_claim() -> None:
    var = {"type": "BODY", "messageContentType": "XML", "xpathValue": "/r/id"}
    pol = compiled(joseTarget="CHOOSE_FROM_VARIABLE", joseTargetVariable=var,
                   jwtClaimsClaim="orderId")
    msg = Message(body=b"<r><id>A-7</id></r>")
    assert claims(apply_policy(pol, msg).body.decode())["orderId"] == "A-7"


def test_empty_target_ignores_the_message() -> None:
    msg = Message(body=b"not json at all")
    got = claims(apply_policy(compiled(joseTarget="EMPTY"), msg).body.decode())
    assert set(got) == {"iat", "jti", "exp", "iss", "sub", "aud"}


def test_an_empty_body_is_no_raw_data() -> None:
    got = claims(apply_policy(compiled(), Message(body=b"  \n")).body.decode())
    assert set(got) == {"iat", "jti", "exp", "iss", "sub", "aud"}


def test_xml_body_with_jwt_claims_claim_is_one_string_claim() -> None:
    msg = Message(body=b"<a>1</a>")
    token = apply_policy(compiled(jwtClaimsClaim="doc"), msg).body.decode()
    assert claims(token)["doc"] == "<a>1</a>"


def test_escape_json_string_keeps_the_original_text() -> None:
    msg = Message(body=b'{"b": 1,  "a": 2}')
    token = apply_policy(compiled(jwtClaimsClaim="doc", escapeJsonString=True),
                         msg).body.decode()
    assert claims(token)["doc"] == '{"b": 1,  "a": 2}'


# -- claim precedence -----------------------------------------------------------------------

def test_a_body_cannot_choose_its_own_registered_claims() -> None:
    body = {"exp": 4102444800, "iss": "https://evil.example", "sub": "root",
            "aud": "elsewhere", "iat": 1, "jti": "fixed", "role": "admin", "keep": "me"}
    pol = compiled(additionalClaimMap={"role": {"value": "user"}})
    got = claims(apply_policy(pol, Message(body=orjson.dumps(body))).body.decode())
    assert got["iss"] == "https://issuer.example" and got["sub"] == "user123"
    assert got["aud"] == "api://one" and got["exp"] == got["iat"] + 3600
    assert got["iat"] > 1 and got["jti"] != "fixed"
    assert got["role"] == "user" and got["keep"] == "me"


# -- output targets -------------------------------------------------------------------------

def test_body_output_replaces_the_body_and_sets_the_media_type() -> None:
    msg = Message(headers={**JSON, "Content-Length": "14"}, body=b'{"user": "al"}')
    new = apply_policy(compiled(), msg)
    assert new.content_type == "application/jwt"
    assert out_header(new, "Content-Length") == str(len(new.body))
    claims(new.body.decode())


def test_authorization_output_replaces_earlier_values() -> None:
    msg = Message(headers=[("Authorization", "Basic old"), ("X", "1"),
                           ("authorization", "Bearer older")], body=b"{}")
    new = apply_policy(compiled(encodedClaimsTargetForDataManipulation="AUTHORIZATION_HEADER"),
                       msg)
    values = [v for n, v in new.headers if n.lower() == "authorization"]
    assert len(values) == 1 and values[0].startswith("Bearer ")
    claims(values[0].removeprefix("Bearer "))
    assert new.body == b"{}"


@pytest.mark.parametrize("var, where", [
    (HEADER_VAR, lambda m: m.header("X-Data")),
    ({"type": "PARAMETER", "paramType": "QUERY", "paramName": "t"},
     lambda m: dict(m.query)["t"]),
    ({"type": "BODY", "messageContentType": "JSON", "jsonPathValue": "$.auth.token"},
     lambda m: json.loads(m.body)["auth"]["token"]),
    ({"type": "CUSTOM", "name": "jwt"}, lambda m: m.variables["jwt"]),
])
def test_variable_output_writes_the_token(var: dict[str, Any], where: Any) -> None:
    pol = compiled(encodedClaimsTargetForDataManipulation="CHOOSE_FROM_VARIABLE",
                   decodedClaimsTargetVariableForDataManipulation=var)
    new = apply_policy(pol, Message(headers=JSON, body=b'{"user": "dan"}'))
    assert claims(where(new))["user"] == "dan"


def test_variable_output_into_the_wrong_body_type_names_the_variable() -> None:
    var = {"type": "BODY", "messageContentType": "JSON", "jsonPathValue": "$.a.b"}
    pol = compiled(joseTarget="EMPTY",
                   encodedClaimsTargetForDataManipulation="CHOOSE_FROM_VARIABLE",
                   decodedClaimsTargetVariableForDataManipulation=var)
    with pytest.raises(MessageError) as err:
        apply_policy(pol, Message(body=b'{"a": [1]}'))
    assert "policy.decodedClaimsTargetVariableForDataManipulation" in str(err.value)


# -- the library contract -------------------------------------------------------------------

def test_the_input_message_is_left_untouched() -> None:
    msg = Message(headers=JSON, body=b'{"user": "e"}')
    before = (msg.headers, msg.body)
    new = apply_policy(compiled(), msg)
    assert (msg.headers, msg.body) == before and new is not msg


def test_an_inactive_policy_returns_the_message_as_is() -> None:
    msg = Message(body=b"not json")
    assert apply_policy(compiled(active=False), msg) is msg


def test_compiled_policy_apply_delegates_here() -> None:
    token = compiled().apply(Message(body=b'{"u": 1}')).body.decode()
    assert claims(token)["u"] == 1


def test_expressions_are_compiled_once_per_compiled_policy() -> None:
    var = {"type": "BODY", "messageContentType": "JSON", "jsonPathValue": "$.a"}
    pol = compiled(joseTarget="CHOOSE_FROM_VARIABLE", joseTargetVariable=var)
    assert prepare(pol) is prepare(pol)


def test_a_mint_failure_raises_our_error_and_maps_to_a_status() -> None:
    with pytest.raises(DataError) as err:
        apply_policy(compiled(), Message(body=b"plain text"))
    exc = err.value
    assert error_status(exc) == 403
    assert error_status(exc, {"invalid_data": 400}) == 400
    body = json.loads(error_body(exc))
    assert body == {"success": False, "code": "invalid_data", "message": str(exc)}
    assert "jwtClaimsClaim" in body["message"]


# -- credentials ----------------------------------------------------------------------------

def test_the_context_credential_chooses_the_issuer_key() -> None:
    pol = compiled(signByIssuer=True, jwkIdForValidationAndSign=None)
    ctx = {"credential": "bob"}
    new = apply_policy(pol, message_from_json({"body": "{}", "context": ctx}))
    token = new.body.decode()
    assert jwt.get_unverified_header(token)["kid"] == "hs-bob"
    claims(token, OTHER_SECRET)
    # An explicit credential wins over the context's; none falls back to the default.
    token = apply_policy(pol, Message(body=b"{}"), credential="alice").body.decode()
    assert jwt.get_unverified_header(token)["kid"] == "hs"
    assert jwt.get_unverified_header(apply_policy(pol, Message()).body.decode())["kid"] == "hs"


def test_an_unknown_credential_is_a_mint_error() -> None:
    pol = compiled(signByIssuer=True, jwkIdForValidationAndSign=None)
    with pytest.raises(MintError):
        apply_policy(pol, message_from_json({"context": {"credential": "mallory"}}))


# -- the seed's Variable Target example, end to end -----------------------------------------

def _public_key(kid: str) -> Any:
    keyset = json.loads((EXAMPLES / "keys.json").read_text())
    jwk = next(k for k in keyset["keys"] if k["kid"] == kid)
    public = {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
    return jwt.PyJWK(public).key


def test_seed_variable_target_example() -> None:
    pol = compile_policy(EXAMPLES / "policies" / "variable-target.json",
                         EXAMPLES / "keys.json")
    msg = message_from_json(json.loads((EXAMPLES / "message.json").read_text()))
    new = apply_policy(pol, msg)
    token = out_header(new, "X-Encoded-Claims")
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "JWT" and header["alg"] == "RS256"
    got = jwt.decode(token, _public_key(header["kid"]), algorithms=["RS256"],
                     audience="api://myapi", issuer="https://myapi.com")
    assert got["customerId"] == "c-1001" and got["plan"] == "gold"
    assert got["exp"] == got["iat"] + 3600  # the header's "exp": 1 lost to the policy's
    assert new.body == msg.body and new.header("X-JWT-Token") == msg.header("X-JWT-Token")

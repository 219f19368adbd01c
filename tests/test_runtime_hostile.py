"""Hostile input to the runtime: every client-controlled message and every bad policy
expression ends as a jose_engine error naming the field, never another exception.

Regressions for an adversarial tester's findings (lone surrogates, dates past 9999, NaN and
1e400 in a body rewrite, deep nesting, JSONPath/XPath/headerName checked when the policy is
prepared, message JSON type checks, ``jose-engine apply --resolver``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest

from jose_engine import JoseEngineError, MessageError, PolicyError
from jose_engine.policy import parse_policy
from jose_engine.runtime import (
    JoseMiddleware,
    Message,
    apply_policy,
    check_policy,
    message_from_json,
    prepare,
)
from tests.test_runtime_support import KEYS, SECRET, compiled, policy

ROOT = Path(__file__).resolve().parent.parent
DEEP = 5000


def json_var(path: str) -> dict[str, Any]:
    return {"type": "BODY", "messageContentType": "JSON", "jsonPathValue": path}


def xml_var(xpath: str) -> dict[str, Any]:
    return {"type": "BODY", "messageContentType": "XML", "xpathValue": xpath}


def reading(var: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"joseTarget": "CHOOSE_FROM_VARIABLE", "joseTargetVariable": var,
            "jwtClaimsClaim": "d", **more}


def writing(var: dict[str, Any]) -> dict[str, Any]:
    return {"encodedClaimsTargetForDataManipulation": "CHOOSE_FROM_VARIABLE",
            "decodedClaimsTargetVariableForDataManipulation": var, "joseTarget": "EMPTY"}


def clean(exc: JoseEngineError) -> str:
    """The message is one line of Unicode text (a lone surrogate would break JSON output)."""
    text = str(exc)
    text.encode("utf-8")
    assert "\n" not in text and "\r" not in text
    return text


# -- client-controlled messages -------------------------------------------------------------

NESTED = '{"a":' + "[" * DEEP + "]" * DEEP + "}"
LONG_DIGITS = ',"n":12345678901234567890123'  # the exact-integer (stdlib) parsing path

MESSAGE_CASES = [
    # (id, policy changes, message JSON, field, words in the message)
    ("surrogate-read-root", reading(json_var("$")), {"body": '{"a":"\\ud800"}'},
     "message.body", "policy.joseTargetVariable"),
    ("surrogate-read-member", reading(json_var("$.a")), {"body": '{"a":"\\udc00"}'},
     "message.body", "policy.joseTargetVariable"),
    ("surrogate-read-exact-path", reading(json_var("$.a")),
     {"body": '{"a":"\\ud800"' + LONG_DIGITS + "}"}, "message.body", "surrogate"),
    ("surrogate-read-subtree-exact-path", reading(json_var("$")),
     {"body": '{"a":"\\ud800"' + LONG_DIGITS + "}"}, "message.body", "surrogate"),
    ("surrogate-write", writing(json_var("$.tok")), {"body": '{"a":"\\ud800"}'},
     "message.body", "policy.decodedClaimsTargetVariableForDataManipulation"),
    ("surrogate-write-exact-path", writing(json_var("$.tok")),
     {"body": '{"a":"\\ud800"' + LONG_DIGITS + "}"}, "message.body", "surrogate"),
    ("1e400-write", writing(json_var("$.tok")), {"body": '{"a":1e400}'},
     "message.body", "not valid JSON"),
    ("1e400-write-exact-path", writing(json_var("$.tok")),
     {"body": '{"a":1e400' + LONG_DIGITS + "}"}, "message.body", "not valid JSON"),
    ("nan-write", writing(json_var("$.tok")), {"body": '{"a":NaN}'},
     "message.body", "not valid JSON"),
    ("infinity-read", reading(json_var("$.a")), {"body": '{"a":-Infinity}'},
     "message.body", "not valid JSON"),
    ("deep-write", writing(json_var("$.tok")), {"body": NESTED}, "message.body", ""),
    ("deep-read-subtree", reading(json_var("$.a")), {"body": NESTED}, "message.body", ""),
    ("deep-read-descendants", reading(json_var("$..x")), {"body": NESTED},
     "message.body", ""),
    ("deep-exact-path", writing(json_var("$.tok")),
     {"body": '{"a":' + "[" * DEEP + "]" * DEEP + LONG_DIGITS + "}"}, "message.body", ""),
    ("huge-integer", writing(json_var("$.tok")), {"body": '{"a":' + "9" * 5000 + "}"},
     "message.body", "not valid JSON"),
    ("time-past-9999-offset",
     reading({"type": "CONTEXT_VALUES", "contextValue": "CURRENT_TIME"}),
     {"context": {"currentTime": "9999-12-31T23:59:59-01:00"}},
     "message.context.currentTime", "policy.joseTargetVariable"),
    ("time-past-9999-zone",
     reading({"type": "CONTEXT_VALUES", "contextValue": "CURRENT_DATE",
              "zoneId": "Asia/Tokyo"}),
     {"context": {"currentTime": 253402300799}}, "message.context.currentTime", "Asia/Tokyo"),
    ("time-before-year-1-context-zone",
     reading({"type": "CONTEXT_VALUES", "contextValue": "CURRENT_TIME"}),
     {"context": {"currentTime": "0001-01-01T00:00:00+00:00", "zoneId": "America/New_York"}},
     "message.context.currentTime", "America/New_York"),
    ("xpath-comment-write", writing(xml_var("//comment()")),
     {"body": "<a><!--c--></a>"}, "message.body", "policy.decodedClaimsTargetVariable"),
]


@pytest.mark.parametrize(("changes", "msg", "field", "words"),
                         [c[1:] for c in MESSAGE_CASES], ids=[c[0] for c in MESSAGE_CASES])
def test_client_controlled_message_is_a_message_error(changes: dict[str, Any],
                                                      msg: dict[str, Any], field: str,
                                                      words: str) -> None:
    pol = compiled(**changes)
    with pytest.raises(MessageError) as err:
        apply_policy(pol, message_from_json(msg))
    assert err.value.path == field
    assert words in clean(err.value)


def test_a_rewritten_body_is_always_valid_json_and_keeps_big_numbers_exact() -> None:
    pol = compiled(**writing(json_var("$.tok")))
    body = '{"a":1.5e300,"n":123456789012345678901234567890,"s":"\\u00e9\\ud83d\\ude00"}'
    out = apply_policy(pol, message_from_json({"body": body})).body
    doc = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in output"))
    assert doc["n"] == 123456789012345678901234567890 and doc["a"] == 1.5e300
    assert doc["s"] == "\u00e9\U0001f600"
    assert jwt.decode(doc["tok"], SECRET, algorithms=["HS256"], audience="api://one")


def test_current_time_inside_the_range_still_reads() -> None:
    pol = compiled(**reading({"type": "CONTEXT_VALUES", "contextValue": "CURRENT_DATE",
                              "zoneId": "Asia/Tokyo"}))
    msg = message_from_json({"context": {"currentTime": 253402300799 - 10 * 3600}})
    token = apply_policy(pol, msg).body.decode()
    assert jwt.decode(token, SECRET, algorithms=["HS256"], audience="api://one")["d"] \
        == "9999-12-31"


@pytest.mark.parametrize(("xpath", "body", "expected"), [
    ("//comment()", "<a><!--note--></a>", "note"),
    ("//processing-instruction()", "<a><?pi some data?></a>", "some data"),
])
def test_xpath_comment_and_processing_instruction_read_as_their_text(
        xpath: str, body: str, expected: str) -> None:
    pol = compiled(**reading(xml_var(xpath)))
    token = apply_policy(pol, message_from_json({"body": body})).body.decode()
    assert jwt.decode(token, SECRET, algorithms=["HS256"], audience="api://one")["d"] \
        == expected


# -- policy expressions: checked when the policy is prepared ---------------------------------

SRC = "policy.joseTargetVariable"
OUT = "policy.decodedClaimsTargetVariableForDataManipulation"
POLICY_CASES = [
    # (id, variable, field under the variable)
    ("jsonpath-syntax", json_var("$["), "jsonPathValue"),
    ("jsonpath-regex", json_var("$[?@.a =~ /(/]"), "jsonPathValue"),
    ("jsonpath-1000-segments", json_var("$" + ".a" * 1000), "jsonPathValue"),
    ("jsonpath-nested-filters", json_var("$" + "[?@" * 150 + ".a" + "]" * 150),
     "jsonPathValue"),
    ("bodyjsonpath-syntax", {"type": "BODY", "messageContentType": "JSON",
                             "bodyJsonPath": "$..["}, "bodyJsonPath"),
    ("xpath-syntax", xml_var("/a["), "xpathValue"),
    ("xpath-nul", xml_var("/a\u0000"), "xpathValue"),
    ("xpath-control", xml_var("/a\u0001"), "xpathValue"),
    ("xpath-unknown-function", xml_var("nosuch()"), "xpathValue"),
    ("xpath-unknown-prefix", xml_var("/x:a"), "xpathValue"),
    ("xpath-unknown-variable", xml_var("$v"), "xpathValue"),
    ("header-crlf", {"type": "HEADER", "headerName": "X-A\r\nSet-Cookie: evil=1"},
     "headerName"),
    ("header-space", {"type": "HEADER", "headerName": "X A"}, "headerName"),
    ("header-colon", {"type": "HEADER", "headerName": "X-A:"}, "headerName"),
    ("header-empty", {"type": "HEADER", "headerName": ""}, "headerName"),
    ("header-non-ascii", {"type": "HEADER", "headerName": "X-\u00e9"}, "headerName"),
    ("header-nul", {"type": "HEADER", "headerName": "X\u0000"}, "headerName"),
]


def _policy_error(changes: dict[str, Any]) -> list[PolicyError]:
    """The PolicyError from every entry point; compile_policy itself may refuse first."""
    try:
        pol = compiled(**changes)
    except PolicyError as exc:  # the core may check these too
        return [exc]
    errors = []
    for call in (lambda: prepare(pol), lambda: apply_policy(pol, Message(body=b"{}")),
                 lambda: JoseMiddleware(_app, pol, pipeline="REQUEST"),
                 lambda: check_policy(parse_policy(policy(**changes)))):
        with pytest.raises(PolicyError) as err:
            call()
        errors.append(err.value)
    return errors


async def _app(scope: Any, receive: Any, send: Any) -> None:  # never called
    raise AssertionError


@pytest.mark.parametrize(("var", "field"), [c[1:] for c in POLICY_CASES],
                         ids=[c[0] for c in POLICY_CASES])
@pytest.mark.parametrize("role", ["read", "write"])
def test_bad_expression_or_header_name_is_a_policy_error(var: dict[str, Any], field: str,
                                                         role: str) -> None:
    changes, where = (reading(var), SRC) if role == "read" else (writing(var), OUT)
    for exc in _policy_error(changes):
        assert exc.path == f"{where}.{field}", exc
        clean(exc)


@pytest.mark.parametrize("var", [
    json_var("$" + ".a" * 60), json_var("$[?@.a =~ /x+/]"), json_var("$[?match(@.a, 'b.*')]"),
    xml_var("//*[local-name()='a']"), xml_var("count(//a)"), xml_var("/a/@id"),
    {"type": "HEADER", "headerName": "X-Custom_Header.v1~!#$%&'*+^`|"},
])
def test_good_expressions_and_header_names_pass_the_check(var: dict[str, Any]) -> None:
    prepare(compiled(**reading(var)))
    prepare(compiled(**writing(var)))


def test_a_prepared_long_jsonpath_still_evaluates_from_a_deep_stack() -> None:
    pol = compiled(**reading(json_var("$" + ".a" * 60)))
    prepare(pol)
    body = "{" + '"a":{' * 59 + '"a":"v"' + "}" * 60

    def deep(n: int) -> Message:
        return apply_policy(pol, Message(body=body)) if n == 0 else deep(n - 1)
    token = deep(150).body.decode()
    assert jwt.decode(token, SECRET, algorithms=["HS256"], audience="api://one")["d"] == "v"


# -- headers written by the runtime ----------------------------------------------------------

@pytest.mark.parametrize(("name", "value", "field"), [
    ("X-Token", "a\r\nSet-Cookie: b", "message.headers.X-Token"),
    ("X-Token", "a\nb", "message.headers.X-Token"),
    ("X-Token", "a\u0000b", "message.headers.X-Token"),
    ("X Token", "a", "message.headers"),
    ("X-Token\r\n", "a", "message.headers"),
])
def test_writing_a_header_refuses_injection(name: str, value: str, field: str) -> None:
    with pytest.raises(MessageError) as err:
        Message().with_header(name, value)
    assert err.value.path == field
    clean(err.value)


def test_writing_a_header_keeps_tabs_and_visible_text() -> None:
    assert Message().with_header("X-A", "a\tb c").header("x-a") == "a\tb c"


# -- the message JSON ------------------------------------------------------------------------

@pytest.mark.parametrize(("msg", "field"), [
    ({"headers": {1: "x"}}, "message.headers"),
    ({"query": {None: "x"}}, "message.query"),
    ({"variables": {2: "x"}}, "message.variables"),
    ({"context": {3: "x"}}, "message.context"),
    ({4: "x"}, "message"),
    ({"\ud800": "x"}, "message"),
    ({"body": "\ud800"}, "message.body"),
    ({"body": "ok \udfff"}, "message.body"),
    ({"method": "G\ud800"}, "message.method"),
    ({"path": "/\ud800"}, "message.path"),
    ({"contentType": "text/\ud800"}, "message.contentType"),
    ({"form": {"a": "\ud800"}}, "message.form.a"),
    ({"form": {"\ud800": "x"}}, "message.form"),
    ({"query": {"q": ["ok", "\ud800"]}}, "message.query.q[1]"),
    ({"pathParams": {"id": "\udc00"}}, "message.pathParams.id"),
    ({"headers": {"X-A": "\ud800"}}, "message.headers.X-A"),
    ({"variables": {"v": "\ud800"}}, "message.variables.v"),
    ({"variables": {"\ud800": "x"}}, "message.variables"),
    ({"context": {"userName": "\ud800"}}, "message.context.userName"),
])
def test_message_json_type_and_text_errors_name_the_field(msg: dict[Any, Any],
                                                          field: str) -> None:
    with pytest.raises(MessageError) as err:
        message_from_json(msg)
    assert err.value.path == field
    clean(err.value)


def test_a_message_built_in_python_with_a_surrogate_body_is_a_message_error() -> None:
    with pytest.raises(MessageError) as err:
        Message(body="\ud800")
    assert err.value.path == "message.body"


# -- jose-engine apply -----------------------------------------------------------------------

def _apply(tmp: Path, *args: str, stdin: str = "{}",
           changes: dict[str, Any] | None = None) -> subprocess.CompletedProcess[str]:
    pol = tmp / "policy.json"
    pol.write_text(json.dumps(policy(**(changes or {}))))
    keys = tmp / "keys.json"
    keys.write_text(json.dumps(KEYS))
    return subprocess.run(
        [sys.executable, "-m", "jose_engine", "apply", "--policy", str(pol), "--keys",
         str(keys), "--message", "-", *args],
        input=stdin, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": f"{tmp}{os.pathsep}{ROOT}"})


SCRIPT_VAR = {"type": "CUSTOM", "name": "pick", "initWithScript": True,
              "scriptLanguage": "GROOVY", "scriptBody": "unused"}
RESOLVERS = ("def number(message):\n    return 42\n"
             "def broken(message):\n    raise KeyError('secret-ish text')\n"
             "raise_at_import = False\n")


@pytest.mark.parametrize(("spec", "stdin", "needle"), [
    ("pick=hostile_resolvers:number", "{}", "returned int"),
    ("pick=hostile_resolvers:broken", "{}", "raised KeyError"),
    ("pick=.bad:f", "{}", "--resolver"),
    ("pick=hostile_resolvers:", "{}", "--resolver"),
    ("pick=hostile_broken_module:f", "{}", "cannot import"),
    ("pick=hostile_resolvers:raise_at_import", "{}", "not callable"),
    ("pick=hostile_resolvers:number", '{"body": NaN}', "not valid JSON"),
    ("pick=hostile_resolvers:number", '{"body": "\\ud800"}', "not valid JSON"),
    ("pick=hostile_resolvers:number", "[" * 5000 + "]" * 5000, "message"),
], ids=["non-string", "raises", "relative-module", "no-function", "import-fails",
        "not-callable", "nan-message", "surrogate-message", "deep-message"])
def test_apply_cli_resolver_and_message_errors_are_one_line(tmp_path: Path, spec: str,
                                                           stdin: str, needle: str) -> None:
    (tmp_path / "hostile_resolvers.py").write_text(RESOLVERS)
    (tmp_path / "hostile_broken_module.py").write_text("1 / 0\n")
    out = _apply(tmp_path, "--resolver", spec, stdin=stdin,
                 changes={"joseTarget": "CHOOSE_FROM_VARIABLE",
                          "joseTargetVariable": SCRIPT_VAR})
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("jose-engine: error: ")
    assert needle in out.stderr and "Traceback" not in out.stderr and out.stdout == ""
    assert "secret-ish" not in out.stderr


@pytest.mark.parametrize(("changes", "stdin", "needle"), [
    (writing(json_var("$.tok")), '{"body": "{\\"a\\":1e400}"}', "message.body"),
    (reading({"type": "CONTEXT_VALUES", "contextValue": "CURRENT_TIME"}),
     '{"context": {"currentTime": "9999-12-31T23:59:59-01:00"}}',
     "message.context.currentTime"),
    (reading(json_var("$[?@.a =~ /(/]")), "{}", "policy.joseTargetVariable.jsonPathValue"),
    (writing({"type": "HEADER", "headerName": "X\r\nY"}), "{}",
     "decodedClaimsTargetVariableForDataManipulation.headerName"),
])
def test_apply_cli_hostile_messages_and_policies_are_one_line(
        tmp_path: Path, changes: dict[str, Any], stdin: str, needle: str) -> None:
    out = _apply(tmp_path, stdin=stdin, changes=changes)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and needle in out.stderr


def test_core_errors_that_are_not_ours_are_one_line_without_their_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from jose_engine.runtime import cli as runtime_cli

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("d=SECRETKEYMATERIAL")
    monkeypatch.setattr("jose_engine.compiled.compile_policy", boom)
    (tmp_path / "m.json").write_text("{}")
    args: Any = type("Args", (), {"policy": "p", "keys": "k", "message": str(tmp_path / "m.json"),
                                  "credential": None, "resolver": []})()
    assert runtime_cli.run(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ValueError" in err and "SECRET" not in err


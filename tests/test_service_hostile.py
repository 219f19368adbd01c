"""Hostile input to the service: bad request bodies, policies that could never run, hostile
gateway messages, broken key files and bad serve options all answer 4xx JSON (or one stderr
line), never a 500 or a traceback, and never echo an exception's text.

Regressions for an adversarial tester's findings."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from jose_engine.enums import Pipeline
from jose_engine.errors import KeySetError
from jose_engine.service.app import create_app
from jose_engine.service.config import ServiceConfig
from jose_engine.service.deployed import DeployError, compile_config
from jose_engine.service.logs import OneLineErrors, logging_config
from jose_engine.service.model import Placement, ProxyConfig, StoredPolicy
from jose_engine.service.storage import Edit

from .test_service_cli import serve
from .test_service_support import KEYS, PROJECT, ROOT, Server, body, free_port

SECRET = "d=SECRETKEYMATERIAL"
PROXY = "Hostile"
POLICIES = f"/apiops/projects/{PROJECT}/apiProxies/{{proxy}}/policies/"
RUNTIME = f"/runtime/production/projects/{PROJECT}/apiProxies/{{proxy}}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("hostile")) as s:
        yield s


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


def error(r: httpx.Response, status: int, code: str, field: str | None = None) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    got = r.json()
    assert (got["success"], got["code"], got["field"]) == (False, code, field), got
    assert "Traceback" not in r.text and "SECRET" not in r.text
    message: str = got["message"]
    return message


def request_body(proxy: str = PROXY, **policy: Any) -> dict[str, Any]:
    out = body("basic-jwt", **policy)
    out["operationMetadata"]["targetPipeline"] = "REQUEST"
    return out


def add(client: httpx.Client, proxy: str, name: str = "p", **policy: Any) -> httpx.Response:
    return client.post(POLICIES.format(proxy=proxy) + f"{name}/",
                       json=request_body(proxy, **policy))


def reading(var: dict[str, Any]) -> dict[str, Any]:
    return {"joseTarget": "CHOOSE_FROM_VARIABLE", "joseTargetVariable": var,
            "jwtClaimsClaim": "d"}


def writing(var: dict[str, Any]) -> dict[str, Any]:
    return {"encodedClaimsTargetForDataManipulation": "CHOOSE_FROM_VARIABLE",
            "decodedClaimsTargetVariableForDataManipulation": var, "joseTarget": "EMPTY"}


def json_var(path: str) -> dict[str, Any]:
    return {"type": "BODY", "messageContentType": "JSON", "jsonPathValue": path}


def xml_var(xpath: str) -> dict[str, Any]:
    return {"type": "BODY", "messageContentType": "XML", "xpathValue": xpath}


# -- request bodies: strict JSON ---------------------------------------------------------------

BAD_JSON = [
    b'{"data": {"n": NaN}}', b'{"data": {"n": Infinity}}', b'{"data": {"n": 1e400}}',
    b'{"data": {"n": 1e400, "m": 12345678901234567890123}}',
    b'{"data": {"s": "\\ud800"}}', b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"data": ' + b"[" * 3000 + b"1234567890123456789" + b"]" * 3000 + b"}",
    b'{"data": {"n": ' + b"9" * 5000 + b"}}", b'{"data": "\xff"}', b'{"data": ',
]


@pytest.mark.parametrize("raw", BAD_JSON, ids=[
    "nan", "infinity", "1e400", "1e400-exact-path", "surrogate", "deep", "deep-exact-path",
    "5000-digits", "not-utf8", "truncated"])
@pytest.mark.parametrize("where", ["tokens", "add", "apply"])
def test_a_request_body_that_is_not_strict_json_is_400(client: httpx.Client, raw: bytes,
                                                       where: str) -> None:
    add(client, "Strict")
    path = {"tokens": RUNTIME.format(proxy="Strict") + "/policies/p/tokens",
            "add": POLICIES.format(proxy="Strict") + "other/",
            "apply": RUNTIME.format(proxy="Strict") + "/apply"}[where]
    r = client.post(path, content=raw, headers={"Content-Type": "application/json"})
    if raw.startswith(b'{"data": [[[') and b"1234567890123456789" not in raw:
        # orjson reads deep nesting fine: then the member or the data is refused, still 400.
        assert r.status_code == 400 and r.json()["success"] is False, r.text
    else:
        error(r, 400, "invalid_json")


DEEP = b'{"a":[' * 5000 + b"[]" + b"]}" * 5000
HOLE = "@deep@"


def _with_deep(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode().replace(json.dumps(HOLE).encode(), DEEP)


@pytest.mark.parametrize(("where", "doc"), [
    ("add", {**request_body(), "policy": {**request_body()["policy"],
                                          "additionalClaimMap": {"x": HOLE}}}),
    ("add", {**request_body(), "operationMetadata": HOLE}),
    ("tokens", {"data": HOLE}),
    ("tokens", {"data": {"x": HOLE}}),
    ("tokens", {"credential": HOLE}),
    ("apply", {"body": "{}", "variables": HOLE}),
    ("apply", {"context": HOLE}),
], ids=["policy-claim", "operation", "data", "data-member", "credential", "variables",
        "context"])
def test_deeply_nested_request_members_are_400(client: httpx.Client, where: str,
                                               doc: dict[str, Any]) -> None:
    add(client, "Deep")
    path = {"tokens": RUNTIME.format(proxy="Deep") + "/policies/p/tokens",
            "add": POLICIES.format(proxy="Deep") + "other/",
            "apply": RUNTIME.format(proxy="Deep") + "/apply"}[where]
    r = client.post(path, content=_with_deep(doc), headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["success"] is False, r.text[:300]


# -- policies that could never run: 400 on add and update, never stored --------------------------

SRC = "policy.joseTargetVariable"
OUT = "policy.decodedClaimsTargetVariableForDataManipulation"
BAD_POLICIES = [
    ("jsonpath-syntax", reading(json_var("$[")), f"{SRC}.jsonPathValue"),
    ("jsonpath-regex", reading(json_var("$[?@.a =~ /(/]")), f"{SRC}.jsonPathValue"),
    ("jsonpath-deep", reading(json_var("$" + ".a" * 1000)), f"{SRC}.jsonPathValue"),
    ("jsonpath-write", writing(json_var("$..[")), f"{OUT}.jsonPathValue"),
    ("xpath-syntax", reading(xml_var("/a[")), f"{SRC}.xpathValue"),
    ("xpath-nul", reading(xml_var("/a\u0000")), f"{SRC}.xpathValue"),
    ("xpath-function", writing(xml_var("nosuch()")), f"{OUT}.xpathValue"),
    ("header-crlf", writing({"type": "HEADER", "headerName": "X-A\r\nSet-Cookie: a=b"}),
     f"{OUT}.headerName"),
    ("header-space", reading({"type": "HEADER", "headerName": "X A"}), f"{SRC}.headerName"),
]


@pytest.mark.parametrize(("changes", "field"), [c[1:] for c in BAD_POLICIES],
                         ids=[c[0] for c in BAD_POLICIES])
def test_a_policy_that_could_never_run_is_refused_with_its_field(
        client: httpx.Client, changes: dict[str, Any], field: str) -> None:
    proxy = "Never"
    error(add(client, proxy, "bad", **changes), 400, "invalid_policy", field)
    listed = client.get(POLICIES.format(proxy=proxy))
    if listed.status_code == 200:
        stored = listed.json()["resultList"][0]["apiProxy"]["requestPolicyList"]
        assert "bad" not in [p["name"] for p in stored]
    assert add(client, proxy, "good").status_code in (200, 409)
    r = client.put(POLICIES.format(proxy=proxy) + "good/",
                   json=request_body(proxy, **changes))
    error(r, 400, "invalid_policy", field)


# -- hostile gateway messages on /apply ----------------------------------------------------------

MESSAGES = [
    ("time-past-9999", reading({"type": "CONTEXT_VALUES", "contextValue": "CURRENT_TIME"}),
     {"context": {"currentTime": "9999-12-31T23:59:59-01:00"}}, "message.context.currentTime"),
    ("time-past-9999-zone", reading({"type": "CONTEXT_VALUES", "contextValue": "CURRENT_DATE",
                                     "zoneId": "Asia/Tokyo"}),
     {"context": {"currentTime": 253402300799}}, "message.context.currentTime"),
    ("body-surrogate", reading(json_var("$")), {"body": '{"a":"\\ud800"}'}, "message.body"),
    ("body-surrogate-write", writing(json_var("$.tok")), {"body": '{"a":"\\ud800"}'},
     "message.body"),
    ("body-1e400-write", writing(json_var("$.tok")), {"body": '{"a":1e400}'}, "message.body"),
    ("body-deep", writing(json_var("$.tok")),
     {"body": '{"a":' + "[" * 5000 + "]" * 5000 + "}"}, "message.body"),
    # A long digit run sends the request body through the exact (stdlib) parser, which keeps
    # lone surrogates: the message reader refuses them.
    ("message-surrogate", reading(json_var("$")),
     {"body": "\ud800", "variables": {"v": "1234567890123456789"}}, "message.body"),
    ("header-surrogate", reading(json_var("$")),
     {"headers": {"X-A": "\udc00"}, "variables": {"v": "1234567890123456789"}},
     "message.headers.X-A"),
]


@pytest.mark.parametrize(("changes", "message", "field"), [m[1:] for m in MESSAGES],
                         ids=[m[0] for m in MESSAGES])
def test_a_hostile_gateway_message_is_400_naming_the_field(
        client: httpx.Client, changes: dict[str, Any], message: dict[str, Any],
        field: str) -> None:
    proxy = "Msg" + str(abs(hash(json.dumps(changes, sort_keys=True))) % 10**8)
    r = add(client, proxy, **changes)
    assert r.status_code in (200, 409), r.text
    raw = json.dumps(message, ensure_ascii=True).encode()  # \\ud800 stays an escape
    r = client.post(RUNTIME.format(proxy=proxy) + "/apply", content=raw,
                    headers={"Content-Type": "application/json"})
    error(r, 400, "invalid_message", field)


def test_an_xpath_comment_reads_as_its_text(client: httpx.Client) -> None:
    assert add(client, "Comment", **reading(xml_var("//comment()"))).status_code == 200
    r = client.post(RUNTIME.format(proxy="Comment") + "/apply",
                    json={"body": "<a><!--hello--></a>"})
    assert r.status_code == 200, r.text
    token = r.json()["message"]["body"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert claims["d"] == "hello"


# -- errors the core did not raise on purpose: 4xx without their text -----------------------------

@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[TestClient]:
    config = ServiceConfig(db=str(tmp_path / "in-process.db"), keys=str(KEYS),
                           tokens=("t",), refresh_interval=0.0)
    with TestClient(create_app(config), raise_server_exceptions=False,
                    headers={"Authorization": "Bearer t"}) as c:
        yield c


def _raise(exc: BaseException) -> Any:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise exc
    return boom


@pytest.mark.parametrize("exc", [ValueError(SECRET), TypeError(SECRET), KeyError(SECRET),
                                 OverflowError(SECRET), RecursionError(SECRET)])
def test_an_accident_while_reading_a_policy_is_400(app_client: TestClient,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   exc: BaseException) -> None:
    monkeypatch.setattr("jose_engine.service.manager.parse_policy", _raise(exc))
    r = app_client.post(POLICIES.format(proxy="A") + "p/", json=request_body())
    message = error(r, 400, "invalid_policy", "policy")
    assert type(exc).__name__ in message


def test_an_accident_while_reading_a_delete_body_is_400(app_client: TestClient,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert app_client.post(POLICIES.format(proxy="Del") + "p/",
                           json=request_body()).status_code == 200
    monkeypatch.setattr("jose_engine.service.manager.parse_operation",
                        _raise(TypeError(SECRET)))
    r = app_client.request("DELETE", POLICIES.format(proxy="Del") + "p/",
                           json={"operationMetadata": {"targetScope": "ALL"}})
    assert "TypeError" in error(r, 400, "invalid_policy", "operationMetadata")


@pytest.mark.parametrize("exc", [ValueError(SECRET), TypeError(SECRET), KeyError(SECRET)])
def test_an_accident_while_compiling_fails_the_deployment_not_the_request(
        app_client: TestClient, monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    monkeypatch.setattr("jose_engine.service.deployed.compile_policy", _raise(exc))
    r = app_client.post(POLICIES.format(proxy="B") + "p/", json=request_body())
    assert r.status_code == 200 and "SECRET" not in r.text, r.text
    result = r.json()["deploymentResult"]
    assert result["success"] is False
    entry = result["deploymentResults"][0]
    assert (entry["code"], entry["field"]) == ("invalid_key", "policy")
    assert type(exc).__name__ in entry["message"]


@pytest.mark.parametrize("exc", [ValueError(SECRET), TypeError(SECRET), KeyError(SECRET)])
def test_a_reload_of_a_key_file_the_core_chokes_on_is_409_and_keeps_the_keys(
        app_client: TestClient, monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    assert app_client.post(POLICIES.format(proxy="C") + "p/",
                           json=request_body()).status_code == 200
    before = app_client.get("/.well-known/jwks.json").json()
    monkeypatch.setattr("jose_engine.service.deployed.load_keyset", _raise(exc))
    message = error(app_client.post("/admin/reload"), 409, "invalid_key")
    assert type(exc).__name__ in message
    monkeypatch.undo()
    assert app_client.get("/.well-known/jwks.json").json() == before
    mint = app_client.post(RUNTIME.format(proxy="C") + "/policies/p/tokens", json={})
    assert mint.status_code == 200, mint.text


def test_a_reload_that_the_compile_chokes_on_is_409(app_client: TestClient,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert app_client.post(POLICIES.format(proxy="D") + "p/",
                           json=request_body()).status_code == 200
    monkeypatch.setattr("jose_engine.service.deployed.compile_policy",
                        _raise(ValueError(SECRET)))
    r = app_client.post("/admin/reload")
    assert r.status_code == 409 and "SECRET" not in r.text and "ValueError" in r.text


def test_a_stored_policy_with_a_bad_expression_is_not_deployed(app_client: TestClient) -> None:
    """A policy stored before the add-time check (or written by another build) fails its
    deployment naming the field; /apply answers 503 deployment_unavailable, not 500."""
    service: Any = app_client.app.state.service  # type: ignore[attr-defined]
    doc = request_body(**reading(json_var("$[?@.a =~ /(/]")))["policy"]
    doc["name"] = "old"
    config = ProxyConfig(PROJECT, "Old", 1,
                         (StoredPolicy("old", Placement(Pipeline.REQUEST), doc),))
    with pytest.raises(DeployError) as err:
        compile_config(config, service.registry.snapshot.keys)
    assert err.value.path == "policy.joseTargetVariable.jsonPathValue"
    service.storage.change_proxy(PROJECT, "Old", lambda cur: Edit(config, ("production",)))
    service.registry.refresh(force=True)
    r = app_client.post(RUNTIME.format(proxy="Old") + "/apply", json={"body": "{}"})
    message = error(r, 503, "deployment_unavailable")
    assert "policy.joseTargetVariable.jsonPathValue" in message


def test_read_keys_turns_an_accident_into_a_key_set_error(
        monkeypatch: pytest.MonkeyPatch, app_client: TestClient) -> None:
    service: Any = app_client.app.state.service  # type: ignore[attr-defined]
    monkeypatch.setattr("jose_engine.service.deployed.load_keyset", _raise(KeyError(SECRET)))
    with pytest.raises(KeySetError) as err:
        service.registry.read_keys()
    assert "SECRET" not in str(err.value) and "KeyError" in str(err.value)


# -- serve options --------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "needle"), [
    (["--port", "70000"], "--port"), (["--port", "-1"], "--port"),
    (["--port", "65536"], "--port"), (["--workers", "-3"], "--workers"),
])
def test_serve_refuses_out_of_range_numbers_with_one_line(tmp_path: Path, args: list[str],
                                                          needle: str) -> None:
    done = serve(tmp_path, *args, tokens="t")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and needle in done.stderr
    assert done.stderr.startswith("jose-engine: error: ")


def test_serve_names_only_the_class_of_a_key_file_accident(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from jose_engine.cli import build_parser
    from jose_engine.service import cli
    monkeypatch.setattr("jose_engine.keys.load_keyset", _raise(ValueError(SECRET)))
    monkeypatch.setenv("JOSE_ENGINE_API_TOKENS", "t")
    args = build_parser(["serve"]).parse_args(
        ["serve", "--keys", str(KEYS), "--db", str(tmp_path / "x.db")])
    assert cli.run(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ValueError" in err and "SECRET" not in err


# -- a real 500 is one JSON log line ------------------------------------------------------------

def test_a_traceback_logged_by_uvicorn_is_one_json_line_without_the_exception_text() -> None:
    formatter = OneLineErrors("%(levelprefix)s %(message)s", use_colors=False)
    try:
        raise ValueError(SECRET)
    except ValueError:
        record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1,
                                   "Exception in ASGI application\n", None, sys.exc_info())
    line = formatter.format(record)
    assert "\n" not in line and "SECRET" not in line
    got = json.loads(line)
    assert (got["event"], got["error"], got["logger"]) == ("exception", "ValueError",
                                                           "uvicorn.error")
    assert any("test_service_hostile.py" in f for f in got["frames"])
    plain = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, "Started", None, None)
    assert formatter.format(plain) == "INFO:     Started"
    default = logging_config()["formatters"]["default"]
    assert default["()"].endswith("OneLineErrors")


FAULTY_APP = """
import uvicorn
from jose_engine.service.logs import logging_config

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    raise ValueError("d=SECRETKEYMATERIAL")

uvicorn.run(app, host="127.0.0.1", port={port}, log_config=logging_config("INFO"),
            access_log=False, lifespan="off")
"""


def test_a_real_500_under_uvicorn_logs_one_json_line(tmp_path: Path) -> None:
    port = free_port()
    script = tmp_path / "faulty.py"
    script.write_text(FAULTY_APP.format(port=port))
    log = tmp_path / "faulty.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(script)], stdout=out, stderr=out,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/", timeout=1.0)
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
        assert r.status_code == 500
        deadline = time.monotonic() + 5
        while '"exception"' not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(10)
    text = log.read_text()
    assert "Traceback" not in text and "SECRET" not in text, text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert [x["error"] for x in lines if x.get("event") == "exception"] == ["ValueError"]

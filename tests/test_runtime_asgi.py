"""The ASGI middleware: a real uvicorn server on loopback for the example app, in-process
httpx for the rest. Tokens are checked with PyJWT."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from jose_engine.runtime import JoseMiddleware
from tests.test_runtime_support import OTHER_SECRET, claims, compiled

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


# -- a real server --------------------------------------------------------------------------

@contextmanager
def serving(app: Any) -> Iterator[str]:
    """uvicorn on 127.0.0.1 at a free port, in a thread; stopped on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _load_example_app() -> Any:
    spec = importlib.util.spec_from_file_location("asgi_example", EXAMPLES / "asgi_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def test_example_app_response_is_a_token_through_a_real_server() -> None:
    # trust_env off: no proxy from the environment for a loopback call.
    with serving(_load_example_app()) as base, httpx.Client(trust_env=False,
                                                            timeout=10) as client:
        response = client.get(f"{base}/orders/42")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jwt"
    assert int(response.headers["content-length"]) == len(response.content)
    token = response.text
    header = jwt.get_unverified_header(token)
    keyset = json.loads((EXAMPLES / "keys.json").read_text())
    jwk = next(k for k in keyset["keys"] if k["kid"] == header["kid"])
    public = jwt.PyJWK({k: v for k, v in jwk.items()
                        if k not in ("d", "p", "q", "dp", "dq", "qi")}).key
    got = jwt.decode(token, public, algorithms=["RS256"], audience="api://myapi")
    assert got["orderId"] == 42 and got["status"] == "shipped"
    assert got["iss"] == "https://myapi.com"  # the backend's own "iss" lost
    assert got["permissions"] == ["read", "write"]


# -- in process -----------------------------------------------------------------------------

def call(app: Any, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, url, **kwargs)
    return asyncio.run(go())


async def echo(request: Request) -> JSONResponse:
    """What the app saw of the request."""
    state = getattr(request.state, "jose_variables", None)
    return JSONResponse({"authorization": request.headers.get("authorization"),
                         "length": request.headers.get("content-length"),
                         "query": dict(request.query_params),
                         "body": (await request.body()).decode(), "variables": state})


async def data(request: Request) -> Response:
    status = int(request.query_params.get("status", "200"))
    return JSONResponse({"user": "alice", "n": 3}, status_code=status)


async def text(request: Request) -> Response:
    return Response("plain text", media_type="text/plain")


async def stream(request: Request) -> StreamingResponse:
    async def parts() -> Any:
        for part in (b'{"user":', b' "streamed",', b' "n": 9}'):
            yield part
    return StreamingResponse(parts(), media_type="application/json")


ROUTES = [Route("/echo", echo, methods=["GET", "POST"]), Route("/data", data),
          Route("/text", text), Route("/stream", stream)]


def app_with(pipeline: str, **kwargs: Any) -> Starlette:
    policy = kwargs.pop("policy", None) or compiled()
    return Starlette(routes=ROUTES, middleware=[
        Middleware(JoseMiddleware, compiled=policy, pipeline=pipeline, **kwargs)])


def test_request_pipeline_rewrites_the_request_before_the_app_sees_it() -> None:
    policy = compiled(encodedClaimsTargetForDataManipulation="AUTHORIZATION_HEADER")
    seen = call(app_with("REQUEST", policy=policy), "POST", "/echo",
                json={"user": "bob"}).json()
    assert seen["body"] == '{"user":"bob"}'
    assert claims(seen["authorization"].removeprefix("Bearer "))["user"] == "bob"


def test_request_pipeline_body_output_reaches_the_app() -> None:
    seen = call(app_with("REQUEST"), "POST", "/echo", json={"user": "bob"}).json()
    assert claims(seen["body"])["user"] == "bob"
    assert seen["length"] == str(len(seen["body"]))


@pytest.mark.parametrize("var, pick", [
    ({"type": "PARAMETER", "paramType": "QUERY", "paramName": "token"},
     lambda seen: seen["query"]["token"]),
    ({"type": "CUSTOM", "name": "jwt"}, lambda seen: seen["variables"]["jwt"]),
])
def test_request_pipeline_variable_outputs_reach_the_app(var: Any, pick: Any) -> None:
    policy = compiled(encodedClaimsTargetForDataManipulation="CHOOSE_FROM_VARIABLE",
                      decodedClaimsTargetVariableForDataManipulation=var)
    seen = call(app_with("REQUEST", policy=policy), "POST", "/echo?keep=1",
                json={"user": "eve"}).json()
    assert claims(pick(seen))["user"] == "eve"
    assert seen["body"] == '{"user":"eve"}'


def test_request_pipeline_failure_answers_403_without_calling_the_app() -> None:
    response = call(app_with("REQUEST"), "POST", "/echo", content=b"not json")
    assert response.status_code == 403
    assert response.json()["success"] is False
    assert response.json()["code"] == "invalid_data"


def test_request_pipeline_refuses_a_body_over_the_limit() -> None:
    response = call(app_with("REQUEST", max_body=10), "POST", "/echo", content=b"x" * 11)
    assert response.status_code == 413


def test_response_pipeline_replaces_the_body_with_a_token() -> None:
    response = call(app_with("RESPONSE"), "GET", "/data")
    assert response.headers["content-type"] == "application/jwt"
    assert int(response.headers["content-length"]) == len(response.content)
    assert claims(response.text)["user"] == "alice"


def test_response_pipeline_buffers_a_streamed_body() -> None:
    response = call(app_with("RESPONSE"), "GET", "/stream")
    assert claims(response.text)["user"] == "streamed"


def test_response_pipeline_failure_answers_the_mapped_status() -> None:
    response = call(app_with("RESPONSE"), "GET", "/text")
    assert response.status_code == 403
    assert response.json()["code"] == "invalid_data"
    mapped = call(app_with("RESPONSE", statuses={"invalid_data": 502}), "GET", "/text")
    assert mapped.status_code == 502


def test_response_and_error_pipelines_split_on_status() -> None:
    untouched = call(app_with("RESPONSE"), "GET", "/data?status=404")
    assert untouched.status_code == 404 and untouched.json() == {"user": "alice", "n": 3}
    assert call(app_with("ERROR"), "GET", "/data").json()["n"] == 3
    error = call(app_with("ERROR"), "GET", "/data?status=500")
    assert error.status_code == 500 and claims(error.text)["n"] == 3


def test_head_responses_pass_through() -> None:
    response = call(app_with("RESPONSE"), "HEAD", "/data")
    assert response.headers["content-type"] == "application/json"


def test_the_credential_comes_from_the_scope() -> None:
    policy = compiled(signByIssuer=True, jwkIdForValidationAndSign=None)
    app = app_with("RESPONSE", policy=policy, credential=lambda scope: "bob")
    token = call(app, "GET", "/data").text
    assert jwt.get_unverified_header(token)["kid"] == "hs-bob"
    claims(token, OTHER_SECRET)


def test_inactive_policy_passes_everything_through() -> None:
    response = call(app_with("RESPONSE", policy=compiled(active=False)), "GET", "/text")
    assert response.text == "plain text"


def test_a_bare_policy_needs_a_pipeline() -> None:
    with pytest.raises(ValueError, match="pipeline"):
        JoseMiddleware(Starlette(), compiled())

"""Pure ASGI middleware that runs a compiled policy on an app's requests or responses.

REQUEST pipeline: the request body is read, the policy applied and the app sees the
rewritten request (headers, query string, body; CUSTOM variables land in
``request.state.jose_variables``). RESPONSE pipeline: a response with a status below 400 is
buffered, the policy applied and the new response sent with a correct Content-Length;
ERROR does the same for statuses of 400 and above. HEAD responses and other statuses pass
through untouched. When minting fails the client gets the mapped status (403 unless
``statuses`` says otherwise) and ``{"success": false, "code": …, "message": …}``.

Usable with Starlette: ``Middleware(JoseMiddleware, compiled=compiled)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import replace
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode

from ..enums import Pipeline
from ..errors import JoseEngineError, MessageError
from .apply import apply_policy, error_body, error_status, prepare
from .message import Context, Message, Pairs

if TYPE_CHECKING:
    from ..compiled import CompiledPolicy

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BODY = 4 * 1024 * 1024
# Extensions that would let the app send a body we never see.
_BODY_BYPASS = ("http.response.pathsend", "http.response.zerocopysend")


class JoseMiddleware:
    """Wraps ``app``; ``pipeline`` defaults to the policy file's ``targetPipeline``.

    ``context`` carries what the app cannot know from the scope (environment, project, API
    proxy, endpoint, zone...); client, server, scheme, protocol, host and status come from
    the scope. ``credential(scope)`` names the authenticated credential for
    ``signByIssuer``/``encryptByIssuer``; ``statuses`` maps an error code to a status.
    """

    def __init__(self, app: ASGIApp, compiled: CompiledPolicy, *,
                 pipeline: Pipeline | str | None = None, context: Context | None = None,
                 credential: Callable[[Scope], str | None] | None = None,
                 statuses: Mapping[str, int] | None = None,
                 max_body: int = DEFAULT_MAX_BODY):
        if pipeline is None:
            operation = compiled.document.operation
            if operation is None:
                raise ValueError("the policy file has no operationMetadata.targetPipeline; "
                                 "pass pipeline=REQUEST, RESPONSE or ERROR")
            pipeline = operation.target_pipeline
        self.app = app
        self.compiled = compiled
        self.pipeline = Pipeline(pipeline)
        self.context = context or Context()
        self.credential = credential
        self.statuses = dict(statuses or {})
        self.max_body = max_body
        prepare(compiled)  # a bad JSONPath/XPath fails here, not on the first request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.compiled.policy.active:
            await self.app(scope, receive, send)
        elif self.pipeline is Pipeline.REQUEST:
            await self._request(scope, receive, send)
        elif scope["method"] == "HEAD":
            await self.app(scope, receive, send)
        else:
            await self._response(scope, receive, send)

    # -- REQUEST ----------------------------------------------------------------------------

    async def _request(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await self._read_body(receive)
        except _Disconnected:
            return  # nobody to answer, and nothing to mint for
        if body is None:
            exc = MessageError(f"exceeds the {self.max_body}-byte limit", path="message.body")
            await _send_json(send, 413, error_body(exc))
            return
        message = self._message(scope, _headers(scope["headers"]), body, None)
        try:
            new = apply_policy(self.compiled, message)
        except JoseEngineError as exc:
            await _send_json(send, error_status(exc, self.statuses), error_body(exc))
            return
        scope = dict(scope)
        headers = _raw_headers(new.headers)
        if new.body != message.body:
            # The app now gets the body in one piece, of a known length.
            headers = [(n, v) for n, v in headers
                       if n not in (b"content-length", b"transfer-encoding")]
            headers.append((b"content-length", str(len(new.body)).encode("ascii")))
        scope["headers"] = headers
        if new.query != message.query:
            scope["query_string"] = urlencode(new.query, quote_via=quote).encode("ascii")
        if new.variables:
            scope["state"] = {**scope.get("state", {}), "jose_variables": dict(new.variables)}
        sent = False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal sent
            if sent:
                return await receive()  # http.disconnect and the like
            sent = True
            return {"type": "http.request", "body": new.body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole request body; ``None`` when it exceeds ``max_body``."""
        chunks, size = [], 0
        while True:
            event = await receive()
            if event["type"] == "http.disconnect":
                raise _Disconnected
            chunk = event.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not event.get("more_body", False):
                return b"".join(chunks)

    # -- RESPONSE / ERROR -------------------------------------------------------------------

    def _handles(self, status: int) -> bool:
        return (status >= 400) == (self.pipeline is Pipeline.ERROR)

    async def _response(self, scope: Scope, receive: Receive, send: Send) -> None:
        extensions = scope.get("extensions") or {}
        if any(name in extensions for name in _BODY_BYPASS):
            scope = {**scope, "extensions": {k: v for k, v in extensions.items()
                                             if k not in _BODY_BYPASS}}
        start: MutableMapping[str, Any] | None = None
        chunks: list[bytes] = []
        size = 0
        passing = False

        async def capture(event: MutableMapping[str, Any]) -> None:
            nonlocal start, passing, size
            kind = event["type"]
            if kind == "http.response.start" and not self._handles(event["status"]):
                passing = True
            if passing or kind not in ("http.response.start", "http.response.body"):
                await send(event)
            elif kind == "http.response.start":
                start = event
            else:
                chunk = event.get("body", b"")
                size += len(chunk)
                chunks.append(chunk)
                if not event.get("more_body", False):
                    assert start is not None
                    await self._finish(scope, start, b"".join(chunks), send, size)

        await self.app(scope, receive, capture)

    async def _finish(self, scope: Scope, start: MutableMapping[str, Any], body: bytes,
                      send: Send, size: int) -> None:
        status = start["status"]
        try:
            if size > self.max_body:
                raise MessageError(f"exceeds the {self.max_body}-byte limit",
                                   path="message.body")
            message = self._message(scope, _headers(start.get("headers", [])), body, status)
            new = apply_policy(self.compiled, message)
        except JoseEngineError as exc:
            await _send_json(send, error_status(exc, self.statuses), error_body(exc))
            return
        headers = [(n, v) for n, v in _raw_headers(new.headers) if n != b"content-length"]
        headers.append((b"content-length", str(len(new.body)).encode("ascii")))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": new.body, "more_body": False})

    # -- the message ------------------------------------------------------------------------

    def _message(self, scope: Scope, headers: Pairs, body: bytes,
                 status: int | None) -> Message:
        request_headers = _headers(scope.get("headers", []))
        host = next((v for n, v in request_headers if n.lower() == "host"), None)
        client = scope.get("client") or (None, None)
        server = scope.get("server") or (None, None)
        ctx = replace(
            self.context, client_ip=client[0], client_port=client[1], server_ip=server[0],
            server_port=server[1], scheme=scope.get("scheme", "http"),
            protocol=f"HTTP/{scope.get('http_version', '1.1')}",
            host=host or self.context.host, status_code=status,
            status_text=_phrase(status) if status is not None else None)
        if self.credential is not None:
            ctx = replace(ctx, credential=self.credential(scope))
        query = tuple(parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                keep_blank_values=True))
        return Message(method=scope["method"], path=scope["path"],
                       path_params=_path_params(scope), query=query,
                       headers=headers, body=body, context=ctx)


class _Disconnected(Exception):
    """The client left while its request body was being read."""


def _path_params(scope: Scope) -> Pairs:
    # A router fills these (converted: Starlette gives an int for {id:int}); by response
    # time they are known, on the request side they are not yet.
    return tuple((str(n), str(v)) for n, v in (scope.get("path_params") or {}).items())


def _headers(raw: Any) -> Pairs:
    return tuple((n.decode("latin-1"), v.decode("latin-1")) for n, v in raw)


def _raw_headers(headers: Pairs) -> list[tuple[bytes, bytes]]:
    # ASGI wants lower-case names; RFC 9110 §5.1 makes them case-insensitive anyway.
    return [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]


def _phrase(status: int) -> str | None:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return None


async def _send_json(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode("ascii"))]})
    await send({"type": "http.response.body", "body": body, "more_body": False})

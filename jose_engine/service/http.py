"""JSON responses, the error shape, and request bodies read within a size limit."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..encoding import loads_json
from ..errors import JoseEngineError


class ServiceError(Exception):
    """An error answered as ``{"success": false, "code", "message", "field"}``."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers

    @classmethod
    def from_core(cls, exc: JoseEngineError, status: int = 400) -> ServiceError:
        """Our library's errors: their code, message (secret-free by design) and field."""
        return cls(status, exc.code, str(exc), exc.path)

    def body(self) -> dict[str, Any]:
        return {"success": False, "code": self.code, "message": self.message,
                "field": self.field}


def json_response(content: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status_code=status, headers=headers,
                    media_type="application/json")


def not_found(message: str) -> ServiceError:
    return ServiceError(404, "not_found", message)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ServiceError(400, "invalid_request", "Content-Length is not a number")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> ServiceError:
    return ServiceError(413, "payload_too_large",
                        f"the request body is larger than the limit of {limit} bytes")


async def read_json(request: Request, limit: int, *, optional: bool = False) -> Any:
    """The body parsed as strict JSON; an empty body is ``None`` when ``optional``.

    :func:`~jose_engine.encoding.loads_json` keeps integers past 64 bits exact (the core then
    refuses to encode them rather than mint a rounded value) and refuses NaN, Infinity,
    numbers too large for a double, lone surrogates and nesting too deep: all 400.
    """
    raw = await read_body(request, limit)
    if not raw.strip():
        if optional:
            return None
        raise ServiceError(400, "invalid_json", "the request body is empty; a JSON object "
                           "is expected")
    try:
        return loads_json(raw)
    except (ValueError, RecursionError):  # InvalidJSON, or an integer of 4300+ digits
        raise ServiceError(400, "invalid_json", f"the request body is not valid JSON"
                           f"{_where(raw)} (RFC 8259: no NaN, Infinity, lone surrogate, number "
                           "too large or nesting too deep)") from None


def _where(raw: bytes) -> str:
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return f" (line {exc.lineno}, column {exc.colno})"
    return ""

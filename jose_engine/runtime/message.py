"""The gateway message a policy reads its raw data from and writes its token to.

A message is one side of an exchange. ``method``, ``path``, ``path_params`` and ``query``
always describe the request; ``headers`` and ``body`` belong to the side the pipeline works
on: the request for REQUEST, the response for RESPONSE and ERROR (whose status code is in
the context). Form fields are not stored apart: they are the body when it is
``application/x-www-form-urlencoded``, so there is one source of truth.

Messages are immutable; every ``with_*`` method returns a new one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from ..errors import MessageError

Pairs = tuple[tuple[str, str], ...]
# What a constructor accepts for a field collection: {name: value | [values]} or pairs.
FieldsIn = Mapping[str, str | Iterable[str]] | Iterable[tuple[str, str]]
FORM_TYPE = "application/x-www-form-urlencoded"
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 §5.1 field-name (token)
BAD_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # RFC 9110 §5.5: no CR, LF, NUL


def utf8(text: str, path: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (not Unicode text) is a MessageError at ``path``."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise MessageError("holds a lone surrogate (U+D800 to U+DFFF), which is not Unicode "
                           "text", path=path) from None


def pairs(source: FieldsIn | None) -> Pairs:
    """Normalise ``{name: value | [values]}`` or ``[(name, value)]`` to a tuple of pairs."""
    if source is None:
        return ()
    if isinstance(source, Mapping):
        out: list[tuple[str, str]] = []
        for name, value in source.items():
            if isinstance(value, str):
                out.append((name, value))
            else:
                out.extend((name, v) for v in value)
        return tuple(out)
    return tuple((name, value) for name, value in source)


def values_of(fields: Pairs, name: str, *, fold: bool = False) -> list[str]:
    """Every value of ``name`` in order; ``fold`` compares names case-insensitively."""
    if fold:
        key = name.lower()
        return [v for n, v in fields if n.lower() == key]
    return [v for n, v in fields if n == name]


def replaced(fields: Pairs, name: str, value: str, *, fold: bool = False) -> Pairs:
    """``fields`` with every ``name`` removed and one ``name: value`` where the first stood."""
    key = name.lower() if fold else name
    out: list[tuple[str, str]] = []
    placed = False
    for n, v in fields:
        if (n.lower() if fold else n) != key:
            out.append((n, v))
        elif not placed:
            out.append((n, value))
            placed = True
    if not placed:
        out.append((name, value))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Context:
    """What the gateway knows besides the message: who, where, when.

    ``credential`` names the authenticated API consumer whose keys ``signByIssuer`` and
    ``encryptByIssuer`` use. ``current_time`` (aware) pins CURRENT_TIME/CURRENT_DATE; left
    out, the wall clock is read. ``status_code``/``status_text`` describe the response.
    """

    client_ip: str | None = None
    client_port: int | None = None
    server_ip: str | None = None
    server_port: int | None = None
    protocol: str | None = None
    host: str | None = None
    scheme: str | None = None
    status_code: int | None = None
    status_text: str | None = None
    api_proxy_name: str | None = None
    api_proxy_id: str | None = None
    endpoint_name: str | None = None
    endpoint_id: str | None = None
    environment_name: str | None = None
    environment_id: str | None = None
    project_name: str | None = None
    project_id: str | None = None
    user_name: str | None = None
    user_id: str | None = None
    organization_name: str | None = None
    organization_id: str | None = None
    zone_id: str | None = None
    timezone_id: str | None = None
    credential: str | None = None
    current_time: dt.datetime | None = None


@dataclass(frozen=True, slots=True, init=False)
class Message:
    """One side of an HTTP exchange, plus named custom variables and the context.

    Field collections accept a mapping (a value or a list of values per name) or pairs and
    are stored as tuples of pairs, so repeated names keep their order. Header names compare
    case-insensitively; parameter and variable names exactly. A ``str`` body is UTF-8.
    """

    method: str
    path: str
    path_params: Pairs
    query: Pairs
    headers: Pairs
    body: bytes
    variables: Mapping[str, str]
    context: Context

    def __init__(self, method: str = "GET", path: str = "/", path_params: FieldsIn = (),
                 query: FieldsIn = (), headers: FieldsIn = (), body: bytes | str = b"",
                 variables: Mapping[str, str] | None = None,
                 context: Context | None = None):
        put = object.__setattr__  # frozen: assign once, here
        put(self, "method", method)
        put(self, "path", path)
        put(self, "path_params", pairs(path_params))
        put(self, "query", pairs(query))
        put(self, "headers", pairs(headers))
        put(self, "body", utf8(body, "message.body") if isinstance(body, str) else bytes(body))
        put(self, "variables", MappingProxyType(dict(variables or {})))
        put(self, "context", context or Context())

    # -- reading ----------------------------------------------------------------------------

    def header(self, name: str) -> str | None:
        """The header's value; a repeated header's values joined by ", " (RFC 9110 §5.3)."""
        found = values_of(self.headers, name, fold=True)
        return ", ".join(found) if found else None

    @property
    def content_type(self) -> str | None:
        return self.header("Content-Type")

    @property
    def media_type(self) -> str | None:
        """The Content-Type without parameters, lower-cased (``application/json``)."""
        ctype = self.content_type
        return ctype.split(";", 1)[0].strip().lower() if ctype else None

    @property
    def query_string(self) -> str:
        return urlencode(self.query, quote_via=quote)

    @property
    def uri(self) -> str:
        qs = self.query_string
        return f"{self.path}?{qs}" if qs else self.path

    def form(self) -> Pairs:
        """The form fields: the body parsed as ``application/x-www-form-urlencoded``."""
        if not self.body:
            return ()
        media = self.media_type
        if media is not None and media != FORM_TYPE:
            raise MessageError(f"holds {media}, not {FORM_TYPE} form fields",
                               path="message.body")
        try:
            text = self.body.decode("utf-8")
            return tuple(parse_qsl(text, keep_blank_values=True, strict_parsing=True,
                                   errors="strict"))
        except (UnicodeDecodeError, ValueError):
            raise MessageError("is not valid form data", path="message.body") from None

    # -- writing ----------------------------------------------------------------------------

    def with_header(self, name: str, value: str) -> Message:
        """Set ``name`` to one value, replacing every earlier value of it.

        The name must be an RFC 9110 token and the value free of CR, LF, NUL and other
        control characters (no header injection); otherwise a MessageError.
        """
        if not HEADER_NAME.fullmatch(name):
            raise MessageError("is not a valid HTTP field name", path="message.headers")
        if BAD_HEADER_VALUE.search(value):
            raise MessageError("would hold a control character (CR, LF, NUL...)",
                               path=f"message.headers.{name}")
        return replace(self, headers=replaced(self.headers, name, value, fold=True))

    def with_body(self, body: bytes, content_type: str | None = None) -> Message:
        """Replace the body; Content-Length is corrected when the message carries one."""
        headers = self.headers
        if content_type is not None:
            headers = replaced(headers, "Content-Type", content_type, fold=True)
        if values_of(headers, "Content-Length", fold=True):
            headers = replaced(headers, "Content-Length", str(len(body)), fold=True)
        return replace(self, body=body, headers=headers)

    def with_query(self, name: str, value: str) -> Message:
        return replace(self, query=replaced(self.query, name, value))

    def with_path_param(self, name: str, value: str) -> Message:
        return replace(self, path_params=replaced(self.path_params, name, value))

    def with_form_field(self, name: str, value: str) -> Message:
        """Set one form field; an empty body without a Content-Type becomes a form."""
        fields = replaced(self.form(), name, value)
        ctype = None if self.media_type == FORM_TYPE else FORM_TYPE
        return self.with_body(urlencode(fields).encode("ascii"), ctype)

    def with_variable(self, name: str, value: str) -> Message:
        return replace(self, variables={**self.variables, name: value})

    def to_dict(self) -> dict[str, Any]:
        """The message in the CLI's JSON shape; see :mod:`jose_engine.runtime.codec`."""
        from .codec import message_to_json
        return message_to_json(self)

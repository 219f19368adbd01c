"""The message as JSON, for the CLI and for tests.

``{"method", "path", "pathParams", "query", "headers", "form", "body", "contentType",
"variables", "context"}``. ``pathParams``, ``query``, ``headers`` and ``form`` map a name to
a string, or to a list of strings when it repeats; both are accepted on input and a list is
written only for a repeated name. ``form`` is the body when it is
``application/x-www-form-urlencoded``: on input it becomes that body (a ``body`` beside it is
refused); on output it is shown instead of the body. ``contentType`` is the Content-Type
header. Every error is a :class:`MessageError` naming the field (``message.headers.X``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import fields
from typing import Any
from urllib.parse import urlencode

from ..errors import MessageError
from ..fields import describe
from .message import BAD_HEADER_VALUE as _BAD_VALUE
from .message import FORM_TYPE, Context, Message, Pairs, pairs, utf8
from .message import HEADER_NAME as _TOKEN

_MEMBERS = ("method", "path", "pathParams", "query", "headers", "form", "body",
            "contentType", "variables", "context")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


_CONTEXT = {_camel(f.name): f.name for f in fields(Context)}
_CONTEXT_INTS = {"clientPort", "serverPort", "statusCode"}


def message_from_json(obj: object, path: str = "message") -> Message:
    """Build a :class:`Message` from its JSON shape; errors name the field."""
    if not isinstance(obj, Mapping):
        raise MessageError(f"expected an object, got {describe(obj)}", path=path)
    for name in obj:
        if _name(name, path) not in _MEMBERS:
            raise MessageError(f"unknown member; expected one of {', '.join(_MEMBERS)}",
                               path=f"{path}.{name}")
    headers = _fields(obj.get("headers"), f"{path}.headers", header=True)
    ctype = _text(obj.get("contentType"), f"{path}.contentType")
    form = _fields(obj.get("form"), f"{path}.form")
    body_text = _text(obj.get("body"), f"{path}.body")
    body = utf8(body_text or "", f"{path}.body")
    declared = [v for n, v in headers if n.lower() == "content-type"]
    if ctype is not None:
        if _BAD_VALUE.search(ctype):
            raise MessageError("holds a control character", path=f"{path}.contentType")
        if declared and declared != [ctype]:
            raise MessageError("disagrees with headers.Content-Type", path=f"{path}.contentType")
        if not declared:
            headers += (("Content-Type", ctype),)
    if form:
        if body:
            raise MessageError("is given with form; give one or the other", path=f"{path}.body")
        media = (ctype or (declared[0] if declared else FORM_TYPE)).split(";")[0].strip()
        if media.lower() != FORM_TYPE:
            raise MessageError(f"form fields need {FORM_TYPE}", path=f"{path}.contentType")
        if not declared and ctype is None:
            headers += (("Content-Type", FORM_TYPE),)
        body = urlencode(form).encode("ascii")
    return Message(
        method=_text(obj.get("method"), f"{path}.method") or "GET",
        path=_text(obj.get("path"), f"{path}.path") or "/",
        path_params=_fields(obj.get("pathParams"), f"{path}.pathParams"),
        query=_fields(obj.get("query"), f"{path}.query"),
        headers=headers, body=body,
        variables=_variables(obj.get("variables"), f"{path}.variables"),
        context=_context(obj.get("context"), f"{path}.context"),
    )


def message_to_json(message: Message) -> dict[str, Any]:
    """The JSON shape of ``message``; :func:`message_from_json` reads it back unchanged."""
    form: Pairs | None = None
    if message.media_type == FORM_TYPE and message.body:
        try:
            form = message.form()
        except MessageError:
            form = None  # not valid form data: shown as the body text it is
    return {
        "method": message.method, "path": message.path,
        "pathParams": _group(message.path_params), "query": _group(message.query),
        "headers": _group(message.headers, fold=True),
        "form": {} if form is None else _group(form),
        "body": None if form is not None else message.body.decode("utf-8", "replace"),
        "contentType": message.content_type,
        "variables": dict(message.variables),
        "context": _context_json(message.context),
    }


def _text(value: object, path: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        utf8(value, path)  # a lone surrogate cannot be sent, encoded or signed
        return value
    raise MessageError(f"expected a string, got {describe(value)}", path=path)


def _name(name: object, path: str) -> str:
    """A member name of a field collection: a string that is Unicode text."""
    if not isinstance(name, str):
        raise MessageError(f"has a member name that is {describe(name)}, not a string",
                           path=path)
    utf8(name, path)
    return name


def _fields(value: object, path: str, *, header: bool = False) -> Pairs:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise MessageError(f"expected an object of names, got {describe(value)}", path=path)
    for name, item in value.items():
        where = f"{path}.{_name(name, path)}"
        if header and not _TOKEN.fullmatch(name):
            raise MessageError("is not a valid header name", path=where)
        items = item if isinstance(item, list) else [item]
        for i, one in enumerate(items):
            at = f"{where}[{i}]" if isinstance(item, list) else where
            if not isinstance(one, str):
                raise MessageError(f"expected a string or a list of strings, got "
                                   f"{describe(one)}", path=at)
            utf8(one, at)
            if header and _BAD_VALUE.search(one):
                raise MessageError("holds a control character (CR, LF, NUL...)", path=at)
    return pairs(value)


def _group(fields: Pairs, *, fold: bool = False) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    spelled: dict[str, str] = {}
    for name, value in fields:
        key = spelled.setdefault(name.lower() if fold else name, name)
        have = out.get(key)
        if have is None:
            out[key] = value
        elif isinstance(have, list):
            have.append(value)
        else:
            out[key] = [have, value]
    return out


def _variables(value: object, path: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MessageError(f"expected an object, got {describe(value)}", path=path)
    for name, item in value.items():
        where = f"{path}.{_name(name, path)}"
        if not isinstance(item, str):
            raise MessageError(f"expected a string, got {describe(item)}", path=where)
        utf8(item, where)
    return dict(value)


def _context(value: object, path: str) -> Context:
    if value is None:
        return Context()
    if not isinstance(value, Mapping):
        raise MessageError(f"expected an object, got {describe(value)}", path=path)
    kwargs: dict[str, Any] = {}
    for name, item in value.items():
        where = f"{path}.{_name(name, path)}"
        attr = _CONTEXT.get(name)
        if attr is None:
            raise MessageError(f"unknown member; expected one of {', '.join(_CONTEXT)}",
                               path=where)
        if item is None:
            continue
        if name in _CONTEXT_INTS:
            kwargs[attr] = _integer(item, where)
        elif name == "currentTime":
            kwargs[attr] = _instant(item, where)
        else:
            kwargs[attr] = _text(item, where)
    return Context(**kwargs)


def _integer(value: object, path: str) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if type(value) is not int or not 0 <= value <= 65535:
        raise MessageError(f"expected an integer from 0 to 65535, got {describe(value)}",
                           path=path)
    return value


def _instant(value: object, path: str) -> dt.datetime:
    """ISO 8601 with an offset (``2024-05-01T12:00:00Z``) or seconds since the epoch."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError):
            pass
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            when = None
        if when is not None and when.tzinfo is not None:
            return when
    raise MessageError("expected an ISO 8601 time with an offset, or epoch seconds",
                       path=path)


def _context_json(ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, attr in _CONTEXT.items():
        value = getattr(ctx, attr)
        if value is None:
            continue
        out[name] = value.isoformat() if isinstance(value, dt.datetime) else value
    return out

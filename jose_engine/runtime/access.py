"""Read and write one policy variable (VariableDTO) on a message.

An :class:`Accessor` is built once per variable of a compiled policy and compiles its
JSONPath or XPath then; reading or writing a message does only per-message work. A value
the policy reads but the message lacks is a :class:`MessageError` naming the message field
(``message.headers.X-JWT-Token``) and the policy variable that reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..enums import ContentType, ParamType, VariableType
from ..errors import MessageError, PolicyError
from ..variables import Variable
from .bodies import (
    MISSING,
    JsonPathAccess,
    XPathAccess,
    dump_json,
    dump_xml,
    json_text,
    parse_json,
    parse_xml,
)
from .contextvalues import Clock, read_context_value
from .message import HEADER_NAME, Message, values_of

Resolver = Callable[[Message], Any]
_PARAM_FIELD = {ParamType.QUERY: "query", ParamType.PATH: "pathParams",
                ParamType.FORM: "form"}


class Accessor:
    """Reads or writes the value of one variable; raises MessageError for bad messages."""

    __slots__ = ("_json", "_xml", "var")

    def __init__(self, var: Variable):
        self.var = var
        self._json: JsonPathAccess | None = None
        self._xml: XPathAccess | None = None
        if var.type is VariableType.HEADER:
            name = var.header_name or ""
            if not HEADER_NAME.fullmatch(name):
                raise PolicyError("is not a valid HTTP field name (RFC 9110 §5.1: letters, "
                                  "digits and !#$%&'*+-.^_`|~ only)",
                                  path=f"{var.path}.headerName")
        if var.type is VariableType.BODY:
            if var.content_type is ContentType.JSON:
                assert var.jsonpath is not None  # required by the policy loader
                field = "jsonPathValue" if var.json_path else "bodyJsonPath"
                self._json = JsonPathAccess(var.jsonpath, var.path, f"{var.path}.{field}")
            elif var.content_type is ContentType.XML:
                assert var.xpath is not None
                self._xml = XPathAccess(var.xpath, var.path, f"{var.path}.xpathValue")

    # -- reading ----------------------------------------------------------------------------

    def read(self, message: Message, resolvers: Mapping[str, Resolver] | None = None,
             clock: Clock | None = None) -> str:
        """The variable's text in ``message``; a script variable asks its resolver."""
        var = self.var
        if var.init_with_script:
            return self._resolve(message, resolvers or {})
        kind = var.type
        if kind is VariableType.HEADER:
            assert var.header_name is not None
            return self._present(message.header(var.header_name),
                                 f"message.headers.{var.header_name}")
        if kind is VariableType.PARAMETER:
            assert var.param_type is not None and var.param_name is not None
            return self._param(message, var.param_type, var.param_name)
        if kind is VariableType.BODY:
            return self._read_body(message)
        if kind is VariableType.CONTEXT_VALUES:
            return read_context_value(var, message, clock)
        key = var.key
        assert key is not None
        return self._present(message.variables.get(key), f"message.variables.{key}")

    def _resolve(self, message: Message, resolvers: Mapping[str, Resolver]) -> str:
        var = self.var
        resolver = resolvers.get(var.key or "")
        if resolver is None:
            raise PolicyError(f"no Python resolver is registered for {var.key!r}",
                              path=f"{var.path}.initWithScript")
        value = resolver(message)
        if value is None:
            raise MessageError(f"has no value: the resolver for {var.key!r} returned None",
                               path=var.path)
        if not isinstance(value, str):
            raise PolicyError(f"the Python resolver for {var.key!r} returned "
                              f"{type(value).__name__}, expected str",
                              path=f"{var.path}.initWithScript")
        return value

    def _param(self, message: Message, ptype: ParamType, name: str) -> str:
        if ptype is ParamType.QUERY:
            fields = message.query
        elif ptype is ParamType.PATH:
            fields = message.path_params
        else:
            fields = message.form()
        found = values_of(fields, name)
        # Like a servlet's getParameter: a repeated parameter reads as its first value.
        return self._present(found[0] if found else None,
                             f"message.{_PARAM_FIELD[ptype]}.{name}")

    def _read_body(self, message: Message) -> str:
        var = self.var
        if var.content_type is ContentType.FORM:
            assert var.form_name is not None
            return self._param(message, ParamType.FORM, var.form_name)
        if not message.body.strip():
            raise MessageError(f"is empty, but {var.path} reads it", path="message.body")
        why = f"{var.path} reads it"
        if self._json is not None:
            value = self._json.read(parse_json(message.body, why))
            what = "JSONPath"
        else:
            assert self._xml is not None
            value = self._xml.read(parse_xml(message.body, why))
            what = "XPath"
        if value is MISSING:
            raise MessageError(f"has nothing at the {what} that {var.path} reads",
                               path="message.body")
        return json_text(value)

    def _present(self, value: str | None, field: str) -> str:
        if value is None:
            raise MessageError(f"is absent, but {self.var.path} reads it", path=field)
        return value

    # -- writing ----------------------------------------------------------------------------

    def write(self, message: Message, value: str) -> Message:
        """A new message with ``value`` written to the variable."""
        var = self.var
        kind = var.type
        if kind is VariableType.HEADER:
            assert var.header_name is not None
            return message.with_header(var.header_name, value)
        if kind is VariableType.PARAMETER:
            assert var.param_name is not None
            if var.param_type is ParamType.QUERY:
                return message.with_query(var.param_name, value)
            if var.param_type is ParamType.PATH:
                return message.with_path_param(var.param_name, value)
            return message.with_form_field(var.param_name, value)
        if kind is VariableType.BODY:
            return self._write_body(message, value)
        if kind is VariableType.CUSTOM:
            assert var.key is not None
            return message.with_variable(var.key, value)
        # The policy loader refuses this; kept so a hand-built Policy cannot slip through.
        raise PolicyError("CONTEXT_VALUES variables are read-only", path=f"{var.path}.type")

    def _write_body(self, message: Message, value: str) -> Message:
        var = self.var
        why = f"{var.path} writes into it"
        if var.content_type is ContentType.FORM:
            assert var.form_name is not None
            return message.with_form_field(var.form_name, value)
        if self._json is not None:
            empty = not message.body.strip()
            # An empty body is an empty object, so a plain path can be created in it.
            doc = {} if empty else parse_json(message.body, why)
            body = dump_json(self._json.write(doc, value))
            ctype = "application/json" if message.content_type is None else None
            return message.with_body(body, ctype)
        assert self._xml is not None
        if not message.body.strip():
            raise MessageError(f"is empty, but {why} with an XPath", path="message.body")
        tree = self._xml.write(parse_xml(message.body, why), value)
        return message.with_body(dump_xml(tree, message.body))

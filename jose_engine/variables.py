"""VariableDTO: where the raw data is read from, or the token written to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .enums import ContentType, ContextValue, ParamType, ScriptLanguage, VariableType
from .errors import PolicyError
from .fields import Members

# RFC 9110 §5.1 / §5.6.2: a field name is a token.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


@dataclass(frozen=True, slots=True)
class Variable:
    """One typed VariableDTO. ``path`` is where it stood in the policy, for errors."""

    type: VariableType
    path: str
    id: str | None = None
    project_id: str | None = None
    name: str | None = None
    description: str | None = None
    header_name: str | None = None
    param_type: ParamType | None = None
    param_name: str | None = None
    param_path: str | None = None
    form_name: str | None = None
    xpath: str | None = None
    json_path: str | None = None
    body_json_path: str | None = None
    content_type: ContentType | None = None
    context_value: ContextValue | None = None
    zone_id: str | None = None
    init_with_script: bool = False
    script_language: ScriptLanguage | None = None
    script_body: str | None = None

    @property
    def jsonpath(self) -> str | None:
        """The JSONPath to read or write: ``jsonPathValue``, else ``bodyJsonPath``."""
        return self.json_path or self.body_json_path

    @property
    def key(self) -> str | None:
        """The name a script resolver or a CUSTOM variable is registered under."""
        return self.name or self.id

    def to_json(self) -> dict[str, Any]:
        """The seed's VariableDTO shape, with every member present."""
        return {
            "id": self.id, "projectId": self.project_id, "name": self.name,
            "description": self.description, "type": self.type.value,
            "headerName": self.header_name,
            "paramType": self.param_type.value if self.param_type else None,
            "paramName": self.param_name, "paramPath": self.param_path,
            "formName": self.form_name, "xpathValue": self.xpath,
            "jsonPathValue": self.json_path, "bodyJsonPath": self.body_json_path,
            "messageContentType": self.content_type.value if self.content_type else None,
            "contextValue": self.context_value.value if self.context_value else None,
            "zoneId": self.zone_id, "initWithScript": self.init_with_script,
            "scriptLanguage": self.script_language.value if self.script_language else None,
            "scriptBody": self.script_body,
        }


def parse_variable(obj: object, path: str, *, writable: bool) -> Variable:
    """Read a VariableDTO; ``writable`` is set when the token is written to it."""
    m = Members(obj, path)
    vtype = m.enum("type", VariableType)
    if vtype is None:
        raise PolicyError("is required", path=m.at("type"))
    var = Variable(
        type=vtype, path=path, id=m.string("id"), project_id=m.string("projectId"),
        name=m.string("name"), description=m.string("description"),
        header_name=m.string("headerName", required=vtype is VariableType.HEADER),
        param_type=m.enum("paramType", ParamType), param_name=m.string("paramName"),
        param_path=m.string("paramPath"), form_name=m.string("formName"),
        xpath=m.string("xpathValue"), json_path=m.string("jsonPathValue"),
        body_json_path=m.string("bodyJsonPath"),
        content_type=m.enum("messageContentType", ContentType),
        context_value=m.enum("contextValue", ContextValue), zone_id=m.string("zoneId"),
        init_with_script=m.boolean("initWithScript", False),
        script_language=m.enum("scriptLanguage", ScriptLanguage),
        script_body=m.string("scriptBody"),
    )
    m.refuse_unknown()
    _check(var, m, writable)
    return var


def _check(var: Variable, m: Members, writable: bool) -> None:
    kind = var.type
    if kind is VariableType.HEADER and not _TOKEN.fullmatch(var.header_name or ""):
        raise PolicyError("is not a valid HTTP field name (RFC 9110 §5.1: a token)",
                          path=m.at("headerName"))
    if kind is VariableType.PARAMETER:
        if var.param_type is None:
            raise PolicyError("is required when type is PARAMETER", path=m.at("paramType"))
        if var.param_name is None:
            raise PolicyError("is required when type is PARAMETER", path=m.at("paramName"))
    elif kind is VariableType.BODY:
        _check_body(var, m)
    elif kind is VariableType.CONTEXT_VALUES:
        if writable:
            raise PolicyError("CONTEXT_VALUES variables are read-only; the token cannot be "
                              "written to one", path=m.at("type"))
        if var.context_value is None:
            raise PolicyError("is required when type is CONTEXT_VALUES",
                              path=m.at("contextValue"))
    elif kind is VariableType.CUSTOM and var.key is None:
        raise PolicyError("is required when type is CUSTOM (the variable's name)",
                          path=m.at("name"))
    if var.zone_id is not None:
        _check_zone(var.zone_id, m.at("zoneId"))
    if var.init_with_script:
        if var.script_language is None:
            raise PolicyError("is required when initWithScript is true",
                              path=m.at("scriptLanguage"))
        if var.script_body is None:
            raise PolicyError("is required when initWithScript is true",
                              path=m.at("scriptBody"))


def _check_body(var: Variable, m: Members) -> None:
    ctype = var.content_type
    if ctype is None:
        raise PolicyError("is required when type is BODY", path=m.at("messageContentType"))
    if ctype is ContentType.JSON and var.jsonpath is None:
        raise PolicyError("is required when messageContentType is JSON (or bodyJsonPath)",
                          path=m.at("jsonPathValue"))
    if ctype is ContentType.XML and var.xpath is None:
        raise PolicyError("is required when messageContentType is XML", path=m.at("xpathValue"))
    if ctype is ContentType.FORM and var.form_name is None:
        raise PolicyError("is required when messageContentType is FORM", path=m.at("formName"))


def _check_zone(zone: str, path: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyError(f"unknown time zone {zone[:64]!r}", path=path) from None

"""CONTEXT_VALUES variables: every EnumVariableContextValue read from a message.

They are read-only (the policy loader refuses writing to one). Text forms:
CURRENT_TIME is ISO 8601 with milliseconds and the zone's offset
(``2024-05-01T14:00:00.000+02:00``), CURRENT_DATE is ``YYYY-MM-DD``; both in the variable's
``zoneId``, else the context's ``zoneId`` or ``timezoneId``, else UTC.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from http import HTTPStatus
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..enums import ContextValue as CV
from ..errors import MessageError
from ..variables import Variable
from .message import Message

Clock = Callable[[], float]

# The context attribute behind each plain value, and its name in the message JSON.
_FROM_CONTEXT: dict[CV, tuple[str, str]] = {
    CV.CLIENT_IP: ("client_ip", "clientIp"),
    CV.CLIENT_PORT: ("client_port", "clientPort"),
    CV.SERVER_IP: ("server_ip", "serverIp"),
    CV.SERVER_PORT: ("server_port", "serverPort"),
    CV.REQUEST_PROTOCOL: ("protocol", "protocol"),
    CV.REQUEST_SCHEME: ("scheme", "scheme"),
    CV.RESPONSE_STATUS_CODE: ("status_code", "statusCode"),
    CV.API_PROXY_NAME: ("api_proxy_name", "apiProxyName"),
    CV.API_PROXY_ID: ("api_proxy_id", "apiProxyId"),
    CV.ENDPOINT_NAME: ("endpoint_name", "endpointName"),
    CV.ENDPOINT_ID: ("endpoint_id", "endpointId"),
    CV.ENVIRONMENT_NAME: ("environment_name", "environmentName"),
    CV.ENVIRONMENT_ID: ("environment_id", "environmentId"),
    CV.PROJECT_NAME: ("project_name", "projectName"),
    CV.PROJECT_ID: ("project_id", "projectId"),
    CV.USER_NAME: ("user_name", "userName"),
    CV.USER_ID: ("user_id", "userId"),
    CV.ORGANIZATION_NAME: ("organization_name", "organizationName"),
    CV.ORGANIZATION_ID: ("organization_id", "organizationId"),
    CV.ZONE_ID: ("zone_id", "zoneId"),
    CV.TIMEZONE_ID: ("timezone_id", "timezoneId"),
}


def read_context_value(var: Variable, message: Message, clock: Clock | None = None) -> str:
    """The text of ``var.context_value`` for ``message``; absent is a MessageError."""
    which = var.context_value
    assert which is not None  # the policy loader requires contextValue
    if which in (CV.CURRENT_TIME, CV.CURRENT_DATE):
        now = _now(var, message, clock)
        if which is CV.CURRENT_DATE:
            return now.date().isoformat()
        return now.isoformat(timespec="milliseconds")
    if which is CV.REQUEST_METHOD:
        return message.method
    if which is CV.REQUEST_PATH:
        return message.path
    if which is CV.REQUEST_URI:
        return message.uri
    if which is CV.REQUEST_QUERY_STRING:
        return message.query_string
    ctx = message.context
    if which is CV.REQUEST_HOST:
        host = ctx.host or message.header("Host")
        return _present(host, "host", var)
    if which is CV.RESPONSE_STATUS_TEXT:
        text = ctx.status_text
        if text is None and ctx.status_code is not None:
            try:
                text = HTTPStatus(ctx.status_code).phrase
            except ValueError:
                text = None
        return _present(text, "statusText", var)
    attr, name = _FROM_CONTEXT[which]
    return _present(getattr(ctx, attr), name, var)


def _present(value: object, name: str, var: Variable) -> str:
    if value is None:
        raise MessageError(f"is absent, but {var.path} reads it",
                           path=f"message.context.{name}")
    return str(value)


def _now(var: Variable, message: Message, clock: Clock | None) -> dt.datetime:
    ctx = message.context
    zone = ZoneInfo(var.zone_id or "UTC")  # the policy loader checked the variable's zoneId
    if var.zone_id is None:
        for name, zone_id in (("zoneId", ctx.zone_id), ("timezoneId", ctx.timezone_id)):
            if zone_id:
                try:
                    zone = ZoneInfo(zone_id)
                except (ZoneInfoNotFoundError, ValueError):
                    raise MessageError(f"is not a known time zone, and {var.path} needs one",
                                       path=f"message.context.{name}") from None
                break
    if ctx.current_time is not None:
        try:
            return ctx.current_time.astimezone(zone)
        except (OverflowError, ValueError):  # past year 9999 (or before 1) in that zone
            raise MessageError(f"is out of the range of dates {var.path} can write in the "
                               f"time zone {zone.key}", path="message.context.currentTime"
                               ) from None
    return dt.datetime.fromtimestamp((clock or time.time)(), zone)

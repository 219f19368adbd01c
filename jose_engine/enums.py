"""The seed's enums, with their values exactly as a policy spells them."""

from __future__ import annotations

from enum import StrEnum


class JoseTarget(StrEnum):
    """Where the raw data is read from (EnumJoseImplementationSignedTarget)."""

    BODY = "BODY"
    AUTHORIZATION_HEADER = "AUTHORIZATION_HEADER"
    CHOOSE_FROM_VARIABLE = "CHOOSE_FROM_VARIABLE"
    EMPTY = "EMPTY"


class OutputTarget(StrEnum):
    """Where the finished token is written (EnumJoseTarget)."""

    BODY = "BODY"
    AUTHORIZATION_HEADER = "AUTHORIZATION_HEADER"
    CHOOSE_FROM_VARIABLE = "CHOOSE_FROM_VARIABLE"


class TimeUnit(StrEnum):
    MILLI_SECONDS = "MILLI_SECONDS"
    SECONDS = "SECONDS"
    MINUTES = "MINUTES"
    HOURS = "HOURS"
    DAYS = "DAYS"
    WEEKS = "WEEKS"
    MONTHS = "MONTHS"
    YEARS = "YEARS"


class EncryptionMethod(StrEnum):
    A128CBC_HS256 = "A128CBC_HS256"
    A192CBC_HS384 = "A192CBC_HS384"
    A256CBC_HS512 = "A256CBC_HS512"
    A128CBC_HS256_DEPRECATED = "A128CBC_HS256_DEPRECATED"
    A256CBC_HS512_DEPRECATED = "A256CBC_HS512_DEPRECATED"
    A128GCM = "A128GCM"
    A192GCM = "A192GCM"
    A256GCM = "A256GCM"
    XC20P = "XC20P"


class ValueType(StrEnum):
    """MapValueType: how an ``additionalClaimMap`` value is parsed and emitted."""

    STRING = "STRING"
    BOOLEAN = "BOOLEAN"
    INTEGER = "INTEGER"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    FLOAT = "FLOAT"
    STRING_LIST = "STRING_LIST"
    URI = "URI"


class VariableType(StrEnum):
    HEADER = "HEADER"
    PARAMETER = "PARAMETER"
    BODY = "BODY"
    CONTEXT_VALUES = "CONTEXT_VALUES"
    CUSTOM = "CUSTOM"


class ParamType(StrEnum):
    QUERY = "QUERY"
    PATH = "PATH"
    FORM = "FORM"


class ContentType(StrEnum):
    JSON = "JSON"
    XML = "XML"
    FORM = "FORM"


class ContextValue(StrEnum):
    CURRENT_TIME = "CURRENT_TIME"
    CURRENT_DATE = "CURRENT_DATE"
    CLIENT_IP = "CLIENT_IP"
    CLIENT_PORT = "CLIENT_PORT"
    SERVER_IP = "SERVER_IP"
    SERVER_PORT = "SERVER_PORT"
    REQUEST_METHOD = "REQUEST_METHOD"
    REQUEST_URI = "REQUEST_URI"
    REQUEST_PATH = "REQUEST_PATH"
    REQUEST_QUERY_STRING = "REQUEST_QUERY_STRING"
    REQUEST_PROTOCOL = "REQUEST_PROTOCOL"
    REQUEST_HOST = "REQUEST_HOST"
    REQUEST_SCHEME = "REQUEST_SCHEME"
    RESPONSE_STATUS_CODE = "RESPONSE_STATUS_CODE"
    RESPONSE_STATUS_TEXT = "RESPONSE_STATUS_TEXT"
    API_PROXY_NAME = "API_PROXY_NAME"
    API_PROXY_ID = "API_PROXY_ID"
    ENDPOINT_NAME = "ENDPOINT_NAME"
    ENDPOINT_ID = "ENDPOINT_ID"
    ENVIRONMENT_NAME = "ENVIRONMENT_NAME"
    ENVIRONMENT_ID = "ENVIRONMENT_ID"
    PROJECT_NAME = "PROJECT_NAME"
    PROJECT_ID = "PROJECT_ID"
    USER_NAME = "USER_NAME"
    USER_ID = "USER_ID"
    ORGANIZATION_NAME = "ORGANIZATION_NAME"
    ORGANIZATION_ID = "ORGANIZATION_ID"
    ZONE_ID = "ZONE_ID"
    TIMEZONE_ID = "TIMEZONE_ID"


class ScriptLanguage(StrEnum):
    GROOVY = "GROOVY"
    JAVASCRIPT = "JAVASCRIPT"


class TargetScope(StrEnum):
    ALL = "ALL"
    ENDPOINT = "ENDPOINT"


class Pipeline(StrEnum):
    REQUEST = "REQUEST"
    RESPONSE = "RESPONSE"
    ERROR = "ERROR"


class HttpMethod(StrEnum):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    DELETE = "DELETE"
    PATCH = "PATCH"
    OPTIONS = "OPTIONS"
    HEAD = "HEAD"

"""Every variable type read from and written to a message: headers, parameters, JSON, XML
and form bodies, context values and custom variables."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from jose_engine import MessageError, PolicyError
from jose_engine.enums import ContextValue
from jose_engine.runtime import Context, Message
from jose_engine.runtime.access import Accessor
from tests.test_runtime_support import variable

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON_BODY = b'{"user": {"id": "u1", "roles": ["a", "b"]}, "n": 12345678901234567890123}'
XML_BODY = b'<?xml version="1.0"?><order id="7"><item>book</item><note>a<b>bold</b></note>' \
           b'</order>'


def read(message: Message, **members: Any) -> str:
    return Accessor(variable(**members)).read(message)


def write(message: Message, value: str = "TOKEN", **members: Any) -> Message:
    return Accessor(variable(writable=True, **members)).write(message, value)


def json_var(path: str, key: str = "jsonPathValue") -> dict[str, Any]:
    return {"type": "BODY", "messageContentType": "JSON", key: path}


def xml_var(xpath: str) -> dict[str, Any]:
    return {"type": "BODY", "messageContentType": "XML", "xpathValue": xpath}


def error_of(call: Any, *args: Any, **kwargs: Any) -> MessageError:
    with pytest.raises(MessageError) as err:
        call(*args, **kwargs)
    return err.value


# -- HEADER ---------------------------------------------------------------------------------

def test_header_reads_case_insensitively() -> None:
    assert read(Message(headers={"x-in": "v"}), type="HEADER", headerName="X-In") == "v"


def test_header_write_replaces_earlier_values() -> None:
    msg = write(Message(headers=[("X-Out", "1"), ("x-out", "2")]),
                type="HEADER", headerName="X-Out")
    assert msg.headers == (("X-Out", "TOKEN"),)


def test_absent_header_names_the_header_and_the_variable() -> None:
    err = error_of(read, Message(), type="HEADER", headerName="X-In")
    assert err.path == "message.headers.X-In"
    assert "policy.var" in str(err)


# -- PARAMETER ------------------------------------------------------------------------------

@pytest.mark.parametrize("ptype, message", [
    ("QUERY", Message(query=[("p", "first"), ("p", "second")])),
    ("PATH", Message(path_params={"p": "first"})),
    ("FORM", Message(headers=FORM, body=b"p=first&p=second")),
])
def test_parameter_reads_the_first_value(ptype: str, message: Message) -> None:
    assert read(message, type="PARAMETER", paramType=ptype, paramName="p") == "first"


@pytest.mark.parametrize("ptype, field", [
    ("QUERY", "message.query.p"), ("PATH", "message.pathParams.p"),
    ("FORM", "message.form.p")])
def test_absent_parameter_names_the_field(ptype: str, field: str) -> None:
    err = error_of(read, Message(), type="PARAMETER", paramType=ptype, paramName="p")
    assert err.path == field


def test_parameter_writes() -> None:
    msg = Message(query={"p": ["1", "2"], "q": "x"}, path_params={"p": "old"},
                  headers=FORM, body=b"p=1&keep=yes")
    query = write(msg, type="PARAMETER", paramType="QUERY", paramName="p")
    assert query.query == (("p", "TOKEN"), ("q", "x"))
    path = write(msg, type="PARAMETER", paramType="PATH", paramName="p")
    assert path.path_params == (("p", "TOKEN"),)
    form = write(msg, type="PARAMETER", paramType="FORM", paramName="p")
    assert form.form() == (("p", "TOKEN"), ("keep", "yes"))


def test_form_write_into_an_empty_body_makes_a_form() -> None:
    msg = write(Message(), type="PARAMETER", paramType="FORM", paramName="p")
    assert msg.body == b"p=TOKEN"
    assert msg.content_type == "application/x-www-form-urlencoded"


def test_form_write_into_a_json_body_is_refused() -> None:
    msg = Message(headers={"Content-Type": "application/json"}, body=b"{}")
    err = error_of(write, msg, type="PARAMETER", paramType="FORM", paramName="p")
    assert err.path == "message.body"


# -- BODY: JSON -----------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["jsonPathValue", "bodyJsonPath"])
def test_json_body_reads_a_string_as_is(key: str) -> None:
    assert read(Message(body=JSON_BODY), **json_var("$.user.id", key)) == "u1"


def test_json_body_reads_other_values_as_compact_json() -> None:
    msg = Message(body=JSON_BODY)
    assert read(msg, **json_var("$.user")) == '{"id":"u1","roles":["a","b"]}'
    assert read(msg, **json_var("$.user.roles[1]")) == "b"
    assert read(msg, **json_var("$.n")) == "12345678901234567890123"


def test_json_body_without_the_path_names_the_variable() -> None:
    err = error_of(read, Message(body=JSON_BODY), **json_var("$.nope"))
    assert err.path == "message.body" and "policy.var" in str(err)


@pytest.mark.parametrize("body", [b"", b"<a/>", b"{bad"])
def test_json_variable_on_a_body_that_is_not_json_is_an_error(body: bytes) -> None:
    assert error_of(read, Message(body=body), **json_var("$.a")).path == "message.body"


def test_json_write_sets_an_existing_value_and_keeps_big_numbers_exact() -> None:
    msg = write(Message(body=JSON_BODY, headers={"Content-Length": "1"}),
                **json_var("$.user.id"))
    doc = json.loads(msg.body)
    assert doc["user"] == {"id": "TOKEN", "roles": ["a", "b"]}
    assert doc["n"] == 12345678901234567890123
    assert msg.header("Content-Length") == str(len(msg.body))


def test_json_write_creates_a_path_that_does_not_exist_yet() -> None:
    msg = write(Message(body=b'{"a": {}}'), **json_var("$.a.b.c"))
    assert json.loads(msg.body) == {"a": {"b": {"c": "TOKEN"}}}
    msg = write(Message(body=b'{"list": ["x"]}'), **json_var("$.list[1]"))
    assert json.loads(msg.body) == {"list": ["x", "TOKEN"]}
    msg = write(Message(body=b"{}"), **json_var("$.tokens[0].value"))
    assert json.loads(msg.body) == {"tokens": [{"value": "TOKEN"}]}


def test_json_write_into_an_empty_body_starts_an_object() -> None:
    msg = write(Message(), **json_var("$.token"))
    assert json.loads(msg.body) == {"token": "TOKEN"}
    assert msg.content_type == "application/json"


def test_json_write_sets_every_match_of_a_wildcard() -> None:
    msg = write(Message(body=b'{"a": [{"t": 1}, {"t": 2}]}'), **json_var("$.a[*].t"))
    assert json.loads(msg.body) == {"a": [{"t": "TOKEN"}, {"t": "TOKEN"}]}


@pytest.mark.parametrize("body, path", [
    (b'{"a": "text"}', "$.a.b"),      # a member inside a string
    (b'{"a": {"x": 1}}', "$.a[0]"),   # an index inside an object
    (b'["x"]', "$.a"),                # a member inside an array
    (b'"just a string"', "$.a"),
    (b'{"a": []}', "$.a[5]"),         # past the end of an array
    (b"{}", "$..deep"),               # not a plain path: cannot be created
    (b"<xml/>", "$.a"),               # not JSON at all
])
def test_json_write_into_the_wrong_type_names_the_variable(body: bytes, path: str) -> None:
    err = error_of(write, Message(body=body), **json_var(path))
    assert err.path == "message.body"
    assert "policy.var" in str(err)


def test_a_bad_jsonpath_is_a_policy_error_naming_the_field() -> None:
    with pytest.raises(PolicyError) as err:
        Accessor(variable(**json_var("$.a[")))
    assert err.value.path == "policy.var.jsonPathValue"


# -- BODY: XML ------------------------------------------------------------------------------

@pytest.mark.parametrize("xpath, expected", [
    ("/order/item", "book"),
    ("/order/note", "abold"),           # an element reads as all its text
    ("/order/@id", "7"),
    ("/order/item/text()", "book"),
    ("string(/order/item)", "book"),
    ("count(/order/*)", "2"),
])
def test_xml_body_reads_the_node_text(xpath: str, expected: str) -> None:
    assert read(Message(body=XML_BODY), **xml_var(xpath)) == expected


def test_xml_without_the_node_names_the_variable() -> None:
    err = error_of(read, Message(body=XML_BODY), **xml_var("/order/missing"))
    assert err.path == "message.body" and "policy.var" in str(err)


def test_xml_with_a_dtd_is_refused() -> None:
    body = b'<!DOCTYPE a [<!ENTITY x "boom">]><a>&x;</a>'
    assert error_of(read, Message(body=body), **xml_var("/a")).path == "message.body"


def test_xml_write_sets_element_text_attribute_and_keeps_the_rest() -> None:
    msg = write(Message(body=XML_BODY), **xml_var("/order/note"))
    assert msg.body == b"<?xml version='1.0' encoding='UTF-8'?>\n<order id=\"7\">" \
                       b"<item>book</item><note>TOKEN</note></order>"
    msg = write(Message(body=XML_BODY), **xml_var("/order/@id"))
    assert b'<order id="TOKEN">' in msg.body


@pytest.mark.parametrize("body, xpath", [
    (XML_BODY, "/order/missing"), (XML_BODY, "count(/order)"), (b"", "/a"),
    (b'{"a": 1}', "/a")])
def test_xml_write_without_a_node_is_an_error(body: bytes, xpath: str) -> None:
    err = error_of(write, Message(body=body), **xml_var(xpath))
    assert err.path == "message.body" and "policy.var" in str(err)


def test_a_bad_xpath_is_a_policy_error_naming_the_field() -> None:
    with pytest.raises(PolicyError) as err:
        Accessor(variable(**xml_var("/a[")))
    assert err.value.path == "policy.var.xpathValue"


# -- BODY: FORM -----------------------------------------------------------------------------

def test_form_body_variable_reads_and_writes_by_form_name() -> None:
    members = {"type": "BODY", "messageContentType": "FORM", "formName": "f"}
    msg = Message(headers=FORM, body=b"f=v&g=w")
    assert read(msg, **members) == "v"
    assert write(msg, **members).form() == (("f", "TOKEN"), ("g", "w"))


# -- CONTEXT_VALUES -------------------------------------------------------------------------

NOON = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
CONTEXT = Context(
    client_ip="203.0.113.7", client_port=51000, server_ip="10.0.0.1", server_port=8443,
    protocol="HTTP/1.1", host="api.example", scheme="https", status_code=201,
    api_proxy_name="MyAPI", api_proxy_id="p1", endpoint_name="orders", endpoint_id="e1",
    environment_name="production", environment_id="env1", project_name="MyProject",
    project_id="pr1", user_name="alice", user_id="u1", organization_name="Org",
    organization_id="o1", zone_id="Europe/Istanbul", timezone_id="Asia/Tokyo",
    current_time=NOON)
EXPECTED = {
    "CURRENT_TIME": "2024-05-01T15:00:00.000+03:00",  # the context's zoneId
    "CURRENT_DATE": "2024-05-01",
    "CLIENT_IP": "203.0.113.7", "CLIENT_PORT": "51000", "SERVER_IP": "10.0.0.1",
    "SERVER_PORT": "8443", "REQUEST_METHOD": "POST", "REQUEST_URI": "/orders?a=1&b=x%20y",
    "REQUEST_PATH": "/orders", "REQUEST_QUERY_STRING": "a=1&b=x%20y",
    "REQUEST_PROTOCOL": "HTTP/1.1", "REQUEST_HOST": "api.example", "REQUEST_SCHEME": "https",
    "RESPONSE_STATUS_CODE": "201", "RESPONSE_STATUS_TEXT": "Created",
    "API_PROXY_NAME": "MyAPI", "API_PROXY_ID": "p1", "ENDPOINT_NAME": "orders",
    "ENDPOINT_ID": "e1", "ENVIRONMENT_NAME": "production", "ENVIRONMENT_ID": "env1",
    "PROJECT_NAME": "MyProject", "PROJECT_ID": "pr1", "USER_NAME": "alice", "USER_ID": "u1",
    "ORGANIZATION_NAME": "Org", "ORGANIZATION_ID": "o1", "ZONE_ID": "Europe/Istanbul",
    "TIMEZONE_ID": "Asia/Tokyo",
}


def test_every_context_value_has_an_expectation() -> None:
    assert set(EXPECTED) == {v.value for v in ContextValue}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_context_value_reads(name: str) -> None:
    msg = Message(method="POST", path="/orders", query={"a": "1", "b": "x y"},
                  context=CONTEXT)
    assert read(msg, type="CONTEXT_VALUES", contextValue=name) == EXPECTED[name]


@pytest.mark.parametrize("name, expected", [
    ("CURRENT_TIME", "2024-05-01T21:00:00.000+09:00"), ("CURRENT_DATE", "2024-05-01")])
def test_the_variables_zone_id_wins(name: str, expected: str) -> None:
    msg = Message(context=CONTEXT)
    assert read(msg, type="CONTEXT_VALUES", contextValue=name, zoneId="Asia/Tokyo") == expected


def test_current_date_crosses_midnight_in_its_zone() -> None:
    msg = Message(context=Context(current_time=dt.datetime(2024, 5, 1, 23, tzinfo=dt.UTC)))
    got = read(msg, type="CONTEXT_VALUES", contextValue="CURRENT_DATE",
               zoneId="Pacific/Auckland")
    assert got == "2024-05-02"


def test_current_time_defaults_to_utc_and_the_clock() -> None:
    text = read(Message(), type="CONTEXT_VALUES", contextValue="CURRENT_TIME")
    when = dt.datetime.fromisoformat(text)
    assert when.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - when).total_seconds()) < 60


def test_request_host_falls_back_to_the_host_header() -> None:
    msg = Message(headers={"Host": "h.example"})
    assert read(msg, type="CONTEXT_VALUES", contextValue="REQUEST_HOST") == "h.example"


def test_absent_context_value_names_the_context_field() -> None:
    err = error_of(read, Message(), type="CONTEXT_VALUES", contextValue="CLIENT_IP")
    assert err.path == "message.context.clientIp"


def test_context_values_cannot_be_written() -> None:
    with pytest.raises(PolicyError):
        variable(writable=True, type="CONTEXT_VALUES", contextValue="CLIENT_IP")


# -- CUSTOM and script variables ------------------------------------------------------------

def test_custom_variable_reads_and_writes_by_name() -> None:
    msg = Message(variables={"in": "v"})
    assert read(msg, type="CUSTOM", name="in") == "v"
    assert write(msg, type="CUSTOM", name="out").variables == {"in": "v", "out": "TOKEN"}
    assert error_of(read, msg, type="CUSTOM", name="x").path == "message.variables.x"


def test_script_variable_asks_its_python_resolver() -> None:
    var = variable(type="HEADER", headerName="X-In", name="pick", initWithScript=True,
                   scriptLanguage="GROOVY", scriptBody="return 'x'")
    accessor = Accessor(var)
    msg = Message(method="PATCH", headers={"X-In": "ignored"})
    assert accessor.read(msg, {"pick": lambda m: f"from {m.method}"}) == "from PATCH"
    with pytest.raises(PolicyError):
        accessor.read(msg, {})
    with pytest.raises(MessageError):
        accessor.read(msg, {"pick": lambda m: None})

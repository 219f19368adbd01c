"""The message model and its JSON shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jose_engine import MessageError
from jose_engine.runtime import Context, Message, message_from_json, message_to_json


def test_headers_compare_names_case_insensitively_and_join_repeats() -> None:
    msg = Message(headers=[("X-A", "1"), ("x-a", "2"), ("B", "3")])
    assert msg.header("x-A") == "1, 2"
    assert msg.header("missing") is None


def test_with_header_replaces_every_value_where_the_first_stood() -> None:
    msg = Message(headers=[("X-A", "1"), ("B", "3"), ("x-a", "2")])
    assert msg.with_header("x-a", "9").headers == (("X-A", "9"), ("B", "3"))
    assert msg.with_header("C", "4").headers[-1] == ("C", "4")


def test_with_body_corrects_a_content_length_it_carries() -> None:
    msg = Message(headers={"Content-Length": "2"}, body=b"{}")
    new = msg.with_body(b"abcdef", "application/jwt")
    assert new.header("Content-Length") == "6"
    assert new.content_type == "application/jwt"
    assert "Content-Length" not in dict(Message(body=b"x").with_body(b"yy").headers)


def test_messages_are_immutable() -> None:
    msg = Message(variables={"a": "1"})
    with pytest.raises(AttributeError):
        msg.body = b"x"  # type: ignore[misc]  # the point of the test
    with pytest.raises(TypeError):
        msg.variables["a"] = "2"  # type: ignore[index]


def test_form_fields_are_the_urlencoded_body() -> None:
    msg = Message(headers={"Content-Type": "application/x-www-form-urlencoded"},
                  body=b"a=1&b=two+words&a=3")
    assert msg.form() == (("a", "1"), ("b", "two words"), ("a", "3"))
    assert msg.with_form_field("a", "x y").body == b"a=x+y&b=two+words"


@pytest.mark.parametrize("headers, body", [
    ({"Content-Type": "application/json"}, b'{"a": 1}'),
    ({}, b'{"a": 1}'),
    ({"Content-Type": "application/x-www-form-urlencoded"}, b"\xff=1"),
])
def test_a_body_that_is_not_a_form_has_no_form_fields(headers: Any, body: bytes) -> None:
    with pytest.raises(MessageError) as err:
        Message(headers=headers, body=body).form()
    assert err.value.path == "message.body"


def test_the_json_shape_reads_back_unchanged() -> None:
    shape = {
        "method": "POST", "path": "/orders/7", "pathParams": {"id": "7"},
        "query": {"q": ["a", "b"], "one": "1"},
        "headers": {"X-Multi": ["1", "2"], "Content-Type": "application/json"},
        "form": {}, "body": '{"a":1}', "contentType": "application/json",
        "variables": {"v": "x"},
        "context": {"clientIp": "192.0.2.1", "clientPort": 5000, "statusCode": 200,
                    "currentTime": "2024-05-01T12:00:00+00:00", "credential": "alice"},
    }
    msg = message_from_json(shape)
    assert msg.query == (("q", "a"), ("q", "b"), ("one", "1"))
    assert msg.context.current_time == dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
    assert message_to_json(msg) == shape


def test_form_input_becomes_an_urlencoded_body_and_is_shown_as_form() -> None:
    msg = message_from_json({"form": {"a": ["1", "2"], "b": "x y"}})
    assert msg.body == b"a=1&a=2&b=x+y"
    assert msg.content_type == "application/x-www-form-urlencoded"
    out = message_to_json(msg)
    assert out["form"] == {"a": ["1", "2"], "b": "x y"} and out["body"] is None


def test_content_type_member_sets_the_header() -> None:
    msg = message_from_json({"contentType": "text/plain", "body": "hi"})
    assert msg.headers == (("Content-Type", "text/plain"),)


def test_context_numbers_may_be_strings_of_digits_and_time_epoch_seconds() -> None:
    ctx = message_from_json({"context": {"serverPort": "8443", "currentTime": 0}}).context
    assert ctx == Context(server_port=8443,
                          current_time=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))


BAD: list[tuple[str, Any, str]] = [
    ("not an object", [], "message"),
    ("unknown member", {"header": {}}, "message.header"),
    ("method type", {"method": 1}, "message.method"),
    ("header value type", {"headers": {"X": 1}}, "message.headers.X"),
    ("header list item type", {"headers": {"X": ["a", None]}}, "message.headers.X[1]"),
    ("header CRLF", {"headers": {"X": "a\r\nInjected: 1"}}, "message.headers.X"),
    ("header name", {"headers": {"Bad Name": "a"}}, "message.headers.Bad Name"),
    ("headers not object", {"headers": ["X", "1"]}, "message.headers"),
    ("query value", {"query": {"q": {"a": 1}}}, "message.query.q"),
    ("path params", {"pathParams": {"id": 7}}, "message.pathParams.id"),
    ("form value", {"form": {"f": 1}}, "message.form.f"),
    ("form with body", {"form": {"f": "1"}, "body": "x"}, "message.body"),
    ("form with json", {"form": {"f": "1"}, "contentType": "application/json"},
     "message.contentType"),
    ("body type", {"body": {"a": 1}}, "message.body"),
    ("content types disagree", {"contentType": "a/b", "headers": {"content-type": "c/d"}},
     "message.contentType"),
    ("variable type", {"variables": {"v": 1}}, "message.variables.v"),
    ("context unknown", {"context": {"clientIP": "x"}}, "message.context.clientIP"),
    ("port", {"context": {"clientPort": "http"}}, "message.context.clientPort"),
    ("port range", {"context": {"serverPort": 70000}}, "message.context.serverPort"),
    ("time without offset", {"context": {"currentTime": "2024-05-01T12:00:00"}},
     "message.context.currentTime"),
    ("context string", {"context": {"userName": 5}}, "message.context.userName"),
]


@pytest.mark.parametrize("shape, field", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_message_names_the_field(shape: Any, field: str) -> None:
    with pytest.raises(MessageError) as err:
        message_from_json(shape)
    assert err.value.path == field
    assert err.value.code == "invalid_message"

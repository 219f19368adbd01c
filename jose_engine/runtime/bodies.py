"""Reading and writing one value inside a JSON body (JSONPath) or an XML body (XPath).

Each expression is compiled once, when its accessor is built, and tried once on a probe
document, so a bad one (bad syntax, a bad regex, an unknown XPath function or prefix, nesting
too deep to evaluate) is a :class:`PolicyError` naming the policy field before any message
is seen. Bodies are parsed per message with :func:`jose_engine.encoding.loads_json`, which is
strict (no NaN or Infinity, no number too large for a double) and keeps integers of any size
exact (a body we rewrite must not lose digits), and with an lxml parser that never loads a
DTD, resolves an entity or touches the network. Whatever a client puts in a body (lone
surrogates, deep nesting) ends as a :class:`MessageError` naming ``message.body``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, NoReturn, TypeVar

import jsonpath
from jsonpath.segments import JSONPathChildSegment
from jsonpath.selectors import IndexSelector, NameSelector
from lxml import etree  # no stubs: see the mypy overrides

from ..encoding import loads_json
from ..errors import MessageError, PolicyError

MISSING: Any = object()
Step = str | int
T = TypeVar("T")

# Stack frames kept free when an expression is tried at compile time: an expression that
# evaluates there still evaluates from a deeper caller (a threadpool, an ASGI middleware
# stack), so a recursion-deep one is refused with the policy, not met per message.
HEADROOM = 250
_TOO_DEEP = "is nested too deeply to be processed"
# What evaluating an expression may raise besides RecursionError (python-jsonpath raises its
# own errors, re.error and plain Python errors from filter functions).
_EVAL_ERRORS = (jsonpath.JSONPathError, re.error, ValueError, TypeError, LookupError,
                ArithmeticError)


def with_headroom(fn: Callable[[], T], frames: int = HEADROOM) -> T:
    """``fn()`` run ``frames`` stack frames deeper than the caller."""
    if frames <= 0:
        return fn()
    return with_headroom(fn, frames - 1)


def parse_json(body: bytes, why: str) -> Any:
    """The body as strict JSON; ``why`` says which policy field needed it, for the error."""
    try:
        return loads_json(body)
    except (ValueError, RecursionError):  # InvalidJSON, or an integer of 4300+ digits
        raise MessageError(f"is not valid JSON (RFC 8259: no NaN, Infinity, lone surrogate "
                           f"or number too large for a double), but {why}",
                           path="message.body") from None


def dump_json(doc: Any) -> bytes:
    """Compact UTF-8 JSON; a value JSON text cannot hold is a MessageError on the body."""
    try:
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise MessageError("holds a lone surrogate escape (\\ud800-\\udfff), which is not "
                           "Unicode text", path="message.body") from None
    except RecursionError:
        raise MessageError(_TOO_DEEP, path="message.body") from None
    except ValueError:  # not finite; loads_json already refuses these
        raise MessageError("holds a number JSON cannot represent", path="message.body") from None


def json_text(value: Any) -> str:
    """A JSON value as raw-data text: a string as is, anything else as compact JSON."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise MessageError("holds a lone surrogate escape (\\ud800-\\udfff), which is "
                               "not Unicode text", path="message.body") from None
        return value
    return dump_json(value).decode("utf-8")


class JsonPathAccess:
    """One compiled JSONPath. ``where`` names the policy variable, for errors."""

    __slots__ = ("_path", "_steps", "where")

    def __init__(self, expr: str, where: str, field: str):
        self.where = where
        try:
            self._path = with_headroom(lambda: jsonpath.compile(expr))
        except jsonpath.JSONPathError as exc:
            first = str(exc).splitlines()[0]
            raise PolicyError(f"is not a valid JSONPath ({first})", path=field) from None
        except re.error as exc:
            raise PolicyError(f"is not a valid JSONPath (bad regular expression: {exc})",
                              path=field) from None
        except RecursionError:
            raise PolicyError(f"is not a valid JSONPath: it {_TOO_DEEP}", path=field) from None
        except _EVAL_ERRORS as exc:
            raise PolicyError(f"is not a valid JSONPath ({type(exc).__name__})",
                              path=field) from None
        # A plain path (names and indexes only) can be created when it does not exist yet.
        self._steps = _plain_steps(self._path)
        try:  # once on small documents, with room to spare on the stack
            probes: tuple[Any, ...] = ({}, [], {"a": [{}]})
            for probe in probes:
                with_headroom(partial(self._first, probe))
        except RecursionError:
            raise PolicyError(f"is not usable as a JSONPath: it {_TOO_DEEP}",
                              path=field) from None
        except _EVAL_ERRORS as exc:
            raise PolicyError(f"is not usable as a JSONPath ({type(exc).__name__})",
                              path=field) from None

    def _first(self, doc: Any) -> Any:
        for match in self._path.finditer(doc):
            return match.obj
        return MISSING

    def _parts(self, doc: Any) -> list[tuple[Step, ...]]:
        return [m.parts for m in self._path.finditer(doc)]

    def _search(self, fn: Callable[[Any], T], doc: Any) -> T:
        """``fn(doc)`` on a message's document; what goes wrong is the message's error."""
        try:
            return fn(doc)
        except RecursionError:
            raise MessageError(f"{_TOO_DEEP} by the JSONPath of {self.where}",
                               path="message.body") from None
        except _EVAL_ERRORS as exc:
            raise MessageError(f"cannot be searched with the JSONPath of {self.where} "
                               f"({type(exc).__name__})", path="message.body") from None

    def read(self, doc: Any) -> Any:
        """The first matching value, or ``MISSING``."""
        return self._search(self._first, doc)

    def write(self, doc: Any, value: Any) -> Any:
        """Set every match to ``value``, or create the path; returns the (new) document."""
        found = self._search(self._parts, doc)
        if not found:
            if self._steps is None:
                raise MessageError(f"has nothing at the JSONPath of {self.where}, and only a "
                                   "plain path ($.a.b[0]) can be created", path="message.body")
            found = [tuple(self._steps)]
        if any(not parts for parts in found):
            raise MessageError(f"cannot be replaced as a whole by {self.where}; use "
                               "encodedClaimsTargetForDataManipulation BODY",
                               path="message.body")
        for parts in found:
            self._set(doc, parts, value)
        return doc

    def _set(self, doc: Any, parts: tuple[Step, ...], value: Any) -> None:
        node: Any = doc
        key: Any  # a member name or an array index, per the container
        last = len(parts) - 1
        for i, step in enumerate(parts):
            if isinstance(step, str):
                if not isinstance(node, dict):
                    self._wrong(node, step)
                key = step
            else:
                if not isinstance(node, list):
                    self._wrong(node, step)
                key = step + len(node) if step < 0 else step
                if key == len(node) and step >= 0:
                    node.append(None)  # writing one past the end appends
                elif not 0 <= key < len(node):
                    raise MessageError(f"has no array index {step} for {self.where} to "
                                       "write to", path="message.body")
            if i == last:
                node[key] = value
                return
            child = node[key] if isinstance(node, list) else node.get(key)
            if child is None:
                child = node[key] = {} if isinstance(parts[i + 1], str) else []
            node = child

    def _wrong(self, node: Any, step: Step) -> NoReturn:
        want = "an object member" if isinstance(step, str) else "an array index"
        raise MessageError(f"holds {_kind(node)} where {self.where} writes {want} "
                           f"({step!r})", path="message.body")


def _plain_steps(path: Any) -> list[Step] | None:
    segments = getattr(path, "segments", None)  # a union (a | b) has none
    if segments is None:
        return None
    steps: list[Step] = []
    for seg in segments:
        if type(seg) is not JSONPathChildSegment or len(seg.selectors) != 1:
            return None
        sel = seg.selectors[0]
        if type(sel) is NameSelector:
            steps.append(sel.name)
        elif type(sel) is IndexSelector:
            steps.append(sel.index)
        else:
            return None
    return steps


def _kind(node: Any) -> str:
    if isinstance(node, dict):
        return "an object"
    if isinstance(node, list):
        return "an array"
    return "a string" if isinstance(node, str) else "a scalar"


# -- XML ------------------------------------------------------------------------------------

_STRING_VALUE = etree.XPath("string()")


def parse_xml(body: bytes, why: str) -> Any:
    """The body as an lxml tree; a DTD is refused outright (no entity tricks)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        raise MessageError(f"is not XML, but {why}", path="message.body") from None
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise MessageError("carries a DTD, which is refused", path="message.body")
    return tree


def dump_xml(tree: Any, original: bytes) -> bytes:
    declared = original.lstrip().startswith(b"<?xml")
    out: bytes = etree.tostring(tree, encoding="UTF-8", xml_declaration=declared)
    return out


class XPathAccess:
    """One compiled XPath (no namespace prefixes; use ``*[local-name()='x']``)."""

    __slots__ = ("_lock", "_xpath", "where")

    def __init__(self, expr: str, where: str, field: str):
        self.where = where
        try:
            self._xpath = etree.XPath(expr)
        except etree.XPathError as exc:
            raise PolicyError(f"is not a valid XPath ({exc})", path=field) from None
        except ValueError:  # NUL or another character XML cannot hold
            raise PolicyError("is not a valid XPath (it holds a character XML cannot hold, "
                              "such as NUL)", path=field) from None
        # lxml does not promise that one XPath object may run in two threads at once.
        self._lock = threading.Lock()
        try:  # unknown functions, namespace prefixes and variables show on any document
            self._xpath(etree.fromstring(b"<a/>").getroottree())
        except etree.XPathError as exc:
            raise PolicyError(f"is not a usable XPath ({exc})", path=field) from None

    def _eval(self, tree: Any) -> Any:
        try:
            with self._lock:
                return self._xpath(tree)
        except etree.XPathError as exc:
            raise MessageError(f"cannot be searched with the XPath of {self.where} ({exc})",
                               path="message.body") from None
        except (ValueError, RecursionError) as exc:
            raise MessageError(f"cannot be searched with the XPath of {self.where} "
                               f"({type(exc).__name__})", path="message.body") from None

    def read(self, tree: Any) -> Any:
        """The text of the first node found (an element's whole text), or ``MISSING``."""
        result = self._eval(tree)
        if isinstance(result, list):
            if not result:
                return MISSING
            first = result[0]
            if isinstance(first, str):
                return str(first)
            if isinstance(first, tuple):  # a namespace node
                return first[1]
            if not isinstance(first, etree._Element) or not isinstance(first.tag, str):
                # A comment or processing instruction: its text (XPath's string-value).
                return str(getattr(first, "text", None) or "")
            return str(_STRING_VALUE(first))
        if isinstance(result, bool):
            return "true" if result else "false"
        if isinstance(result, float):
            return str(int(result)) if result.is_integer() else repr(result)
        return str(result)

    def write(self, tree: Any, text: str) -> Any:
        """Set the text of every node found: an element's content, an attribute, a text."""
        result = self._eval(tree)
        if not isinstance(result, list) or not result:
            what = "no node" if isinstance(result, list) else "a value, not a node"
            raise MessageError(f"has {what} at the XPath of {self.where}",
                               path="message.body")
        for node in result:
            _set_text(node, text, self.where)
        return tree


def _set_text(node: Any, text: str, where: str) -> None:
    if isinstance(node, str):
        parent = node.getparent()  # type: ignore[attr-defined]  # lxml smart string
        if parent is None:
            raise MessageError(f"has no writable node at the XPath of {where}",
                               path="message.body")
        if node.is_attribute:  # type: ignore[attr-defined]
            parent.set(node.attrname, text)  # type: ignore[attr-defined]
        elif node.is_tail:  # type: ignore[attr-defined]
            parent.tail = text
        else:
            parent.text = text
        return
    if not isinstance(node, etree._Element) or not isinstance(node.tag, str):
        raise MessageError(f"has no writable node at the XPath of {where}",
                           path="message.body")
    attributes = dict(node.attrib)
    node.clear(keep_tail=True)
    node.attrib.update(attributes)
    node.text = text

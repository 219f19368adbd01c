"""Reading and writing one value inside a JSON body (JSONPath) or an XML body (XPath).

Each expression is compiled once, when its accessor is built. Bodies are parsed per message
with the standard ``json`` module, which keeps integers of any size exact (a body we rewrite
must not lose digits), and with an lxml parser that never loads a DTD, resolves an entity or
touches the network.
"""

from __future__ import annotations

import json
import threading
from typing import Any, NoReturn

import jsonpath
from jsonpath.segments import JSONPathChildSegment
from jsonpath.selectors import IndexSelector, NameSelector
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no stubs

from ..errors import MessageError, PolicyError

MISSING: Any = object()
Step = str | int


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def parse_json(body: bytes, why: str) -> Any:
    """The body as JSON; ``why`` says which policy field needed it, for the error."""
    try:
        return json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise MessageError(f"is not JSON, but {why}", path="message.body") from None


def dump_json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_text(value: Any) -> str:
    """A JSON value as raw-data text: a string as is, anything else as compact JSON."""
    return value if isinstance(value, str) else dump_json(value).decode("utf-8")


class JsonPathAccess:
    """One compiled JSONPath. ``where`` names the policy variable, for errors."""

    __slots__ = ("_path", "_steps", "where")

    def __init__(self, expr: str, where: str, field: str):
        self.where = where
        try:
            self._path = jsonpath.compile(expr)
        except jsonpath.JSONPathError as exc:
            first = str(exc).splitlines()[0]
            raise PolicyError(f"is not a valid JSONPath ({first})", path=field) from None
        # A plain path (names and indexes only) can be created when it does not exist yet.
        self._steps = _plain_steps(self._path)

    def read(self, doc: Any) -> Any:
        """The first matching value, or ``MISSING``."""
        for match in self._path.finditer(doc):
            return match.obj
        return MISSING

    def write(self, doc: Any, value: Any) -> Any:
        """Set every match to ``value``, or create the path; returns the (new) document."""
        found = [m.parts for m in self._path.finditer(doc)]
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
        except etree.XPathSyntaxError as exc:
            raise PolicyError(f"is not a valid XPath ({exc})", path=field) from None
        # lxml does not promise that one XPath object may run in two threads at once.
        self._lock = threading.Lock()

    def _eval(self, tree: Any) -> Any:
        try:
            with self._lock:
                return self._xpath(tree)
        except etree.XPathEvalError as exc:
            raise MessageError(f"cannot be searched with the XPath of {self.where} ({exc})",
                               path="message.body") from None

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

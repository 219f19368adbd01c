"""Typed readers for JSON members: each names the member by its JSON path when it fails."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from .errors import PolicyError

E = TypeVar("E", bound=StrEnum)
_TYPE_NAMES = {bool: "a boolean", str: "a string", int: "an integer", list: "an array",
               dict: "an object"}


def is_text(value: object) -> bool:
    """A str that is valid Unicode (no lone surrogates), as JSON text must be (RFC 8259 §8.1)."""
    if not isinstance(value, str):
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(value: str, path: str) -> str:
    """``value``, or a PolicyError naming ``path`` when it holds a lone surrogate."""
    if not is_text(value):
        raise PolicyError("holds text that is not valid Unicode (a lone surrogate)", path=path)
    return value


def describe(value: object) -> str:
    """A short, secret-free name for what was received ("a string", "null"...)."""
    if value is None:
        return "null"
    for typ, name in _TYPE_NAMES.items():
        if type(value) is typ:
            return name
    return "a number" if isinstance(value, float) else type(value).__name__


class Members:
    """A JSON object being read; every lookup is recorded so leftovers can be refused."""

    def __init__(self, obj: object, path: str):
        if not isinstance(obj, Mapping):
            raise PolicyError(f"expected an object, got {describe(obj)}", path=path)
        self.obj: Mapping[str, Any] = obj
        self.path = path
        self._seen: set[str] = set()

    def at(self, name: str) -> str:
        if not is_text(name):  # a path must print: escape what cannot be UTF-8
            name = str(name).encode("utf-8", "backslashreplace").decode("utf-8")
        return f"{self.path}.{name}" if self.path else name

    def raw(self, name: str) -> Any:
        """The member's value, ``None`` when absent or null (the seed treats both alike)."""
        self._seen.add(name)
        return self.obj.get(name)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if type(value) is not bool:
            raise PolicyError(f"expected true or false, got {describe(value)}", path=self.at(name))
        return value

    def string(self, name: str, *, required: bool = False, why: str = "") -> str | None:
        value = self.raw(name)
        if value is None or value == "":
            if required:
                raise PolicyError(f"is required{why}", path=self.at(name))
            return None
        if not isinstance(value, str):
            raise PolicyError(f"expected a string, got {describe(value)}", path=self.at(name))
        return check_text(value, self.at(name))

    def integer(self, name: str) -> int | None:
        value = self.raw(name)
        if value is None:
            return None
        if type(value) is not int:
            raise PolicyError(f"expected an integer, got {describe(value)}", path=self.at(name))
        return value

    def enum(self, name: str, kind: type[E], default: E | None = None) -> E | None:
        value = self.raw(name)
        if value is None:
            return default
        return enum_value(value, kind, self.at(name))

    def string_list(self, name: str) -> tuple[str, ...]:
        value = self.raw(name)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise PolicyError(f"expected an array of strings, got {describe(value)}",
                              path=self.at(name))
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                raise PolicyError(f"expected a non-empty string, got {describe(item)}",
                                  path=f"{self.at(name)}[{i}]")
            check_text(item, f"{self.at(name)}[{i}]")
        return tuple(value)

    def refuse_unknown(self, extra_allowed: Iterable[str] = ()) -> None:
        """Unknown members are refused by name: a typo must not turn a feature off."""
        allowed = self._seen.union(extra_allowed)
        for name in self.obj:
            if name not in allowed:
                near = difflib.get_close_matches(str(name), sorted(allowed), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                raise PolicyError(f"unknown member{hint}", path=self.at(str(name)))


def enum_value(value: object, kind: type[E], path: str) -> E:
    """``value`` as a member of ``kind``; the error lists every allowed value."""
    try:
        return kind(value)  # type: ignore[arg-type]  # anything not a member is refused
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        shown = repr(value) if isinstance(value, str) and len(value) < 64 else describe(value)
        raise PolicyError(f"expected one of {allowed}; got {shown}", path=path) from None

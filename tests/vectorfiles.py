"""The one loader for the published vectors under ``vectors/``.

Every file is JSON; ``source`` says where it came from. Values are base64url (``*_b64u``),
octet arrays (``*_octets``) or hex, as each file says; :func:`octets` reads any of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jose_engine.encoding import b64u_decode

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


def load(relpath: str) -> dict[str, Any]:
    """The parsed vector file at ``vectors/<relpath>``."""
    with open(VECTORS / relpath, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def files(pattern: str) -> list[str]:
    """Vector files matching a glob under ``vectors/``, as paths relative to it."""
    return sorted(str(p.relative_to(VECTORS)) for p in VECTORS.glob(pattern))


def octets(value: str | list[int], kind: str = "b64u") -> bytes:
    """Bytes from a vector field: ``b64u`` text, ``hex`` text or a list of octets."""
    if isinstance(value, list):
        return bytes(value)
    if kind == "hex":
        return bytes.fromhex(value.replace(" ", ""))
    return b64u_decode(value)

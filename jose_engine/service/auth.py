"""Bearer-token authentication for the management and runtime endpoints."""

from __future__ import annotations

import hmac
from collections.abc import Iterable


class Authenticator:
    """Accepts ``Authorization: Bearer <token>`` when the token is one of the configured."""

    def __init__(self, tokens: Iterable[str]):
        self._tokens = tuple(t.encode("utf-8") for t in tokens)
        if not self._tokens:
            raise ValueError("at least one API token is needed")

    def allows(self, authorization: str | None) -> bool:
        if not authorization:
            return False
        scheme, _, presented = authorization.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return False
        candidate = presented.strip().encode("utf-8", "surrogateescape")
        # Compare with every token, without stopping early, in constant time each.
        matched = False
        for token in self._tokens:
            matched |= hmac.compare_digest(candidate, token)
        return matched

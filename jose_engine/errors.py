"""One root error with stable codes.

Every error is also a ``ValueError``. Messages name the field by its JSON path (``path``) or
the key by its ``kid`` and never contain key material, a CEK or a token.
"""

from __future__ import annotations


class JoseEngineError(ValueError):
    """Root of every error jose-engine raises on purpose."""

    code = "jose_engine_error"

    def __init__(self, message: str, *, path: str | None = None, kid: str | None = None):
        self.message = message
        self.path = path
        self.kid = kid
        super().__init__(self._render())

    def _render(self) -> str:
        text = self.message if self.kid is None else f"key {self.kid!r}: {self.message}"
        return f"{self.path}: {text}" if self.path else text

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form for services: code, message and the field or kid at fault."""
        out = {"code": self.code, "message": str(self)}
        if self.path:
            out["field"] = self.path
        if self.kid is not None:
            out["kid"] = self.kid
        return out


class PolicyError(JoseEngineError):
    """The policy document is invalid; ``path`` names the field (``policy.issuer``)."""

    code = "invalid_policy"


class KeySetError(JoseEngineError):
    """The key set, or a key the policy needs, is missing, malformed or unfit."""

    code = "invalid_key"


class UnsupportedError(JoseEngineError):
    """A valid policy asks for something this build cannot mint."""

    code = "unsupported"


class MintError(JoseEngineError):
    """A token could not be minted for this message (bad raw data, no credential...)."""

    code = "mint_failed"


class DataError(MintError):
    """The raw data does not fit the policy (not JSON where it must be, wrong shape)."""

    code = "invalid_data"


class MessageError(JoseEngineError):
    """A gateway message is malformed or lacks what the policy reads from it."""

    code = "invalid_message"


class SecurityWarning(UserWarning):
    """A policy uses something that works but is weak or deprecated."""

"""The recipient's JWK, read once at build time (RFC 7517 §4).

Only the generic members are checked here (``kty``, ``use``, ``key_ops``, ``alg``); the
key-management builders check what each algorithm needs (size, curve, length).
Private members are dropped: encryption only ever needs the public half, or ``k``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..encoding import b64u_decode
from ..errors import JoseEngineError, KeySetError

# RFC 7518 §6.3.2 and §6.2.2 private members, and RFC 8037 §2 "d".
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth"})


@dataclass(frozen=True, slots=True)
class RecipientKey:
    """What key management needs from one JWK."""

    kid: str | None
    kty: str
    alg: str | None
    use: str | None
    key_ops: frozenset[str] | None
    members: Mapping[str, Any]

    def refuse(self, message: str) -> KeySetError:
        """A :class:`KeySetError` naming this key; ``message`` must hold no key material."""
        return KeySetError(message, kid=self.kid)

    def octets(self, member: str) -> bytes:
        """The base64url member ``member`` decoded, or a refusal naming the member."""
        value = self.members.get(member)
        if not isinstance(value, str):
            raise self.refuse(f"JWK member {member!r} is missing")
        try:
            return b64u_decode(value)
        except JoseEngineError:
            raise self.refuse(f"JWK member {member!r} is not base64url") from None


def read_jwk(jwk: Mapping[str, Any], kid: str | None) -> RecipientKey:
    """Read ``jwk`` (a ``jwcrypto.jwk.JWK``, which is a dict) for encryption.

    ``kid`` names the key in errors; without one the JWK's own ``kid`` is used.
    """
    name = kid if kid is not None else _optional_str(jwk, "kid", None)
    kty = _optional_str(jwk, "kty", name)
    if kty is None:
        raise KeySetError("JWK has no 'kty'", kid=name)
    use = _optional_str(jwk, "use", name)
    if use is not None and use != "enc":
        # RFC 7517 §4.2: "enc" is the only use that allows encryption.
        raise KeySetError(f"JWK 'use' is {use!r}; encryption needs 'enc' or none", kid=name)
    members = {k: v for k, v in jwk.items() if k not in _PRIVATE_MEMBERS}
    return RecipientKey(name, kty, _optional_str(jwk, "alg", name), use,
                        _key_ops(jwk, name), members)


def _optional_str(jwk: Mapping[str, Any], member: str, kid: str | None) -> str | None:
    value = jwk.get(member)
    if value is None or isinstance(value, str):
        return value
    raise KeySetError(f"JWK member {member!r} must be a string", kid=kid)


def _key_ops(jwk: Mapping[str, Any], kid: str | None) -> frozenset[str] | None:
    ops = jwk.get("key_ops")
    if ops is None:
        return None
    if not isinstance(ops, list) or not all(isinstance(op, str) for op in ops):
        raise KeySetError("JWK 'key_ops' must be an array of strings", kid=kid)
    return frozenset(ops)

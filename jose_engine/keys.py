"""The key set: a JWKS (RFC 7517 §5) plus the gateway's credentials.

``{"keys": [...], "credentials": {"<name>": {"sign": "<kid>", "encrypt": "<kid>"}},
"defaultCredential": "<name>"}``. JWKs are imported and checked with jwcrypto, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson
from jwcrypto import jwk as jwcrypto_jwk

from .errors import KeySetError
from .fields import describe, is_text

Operation = Literal["sign", "encrypt"]


@dataclass(frozen=True, slots=True)
class Credential:
    """An API consumer with one signing and one encryption JWK (by kid)."""

    name: str
    sign: str | None = None
    encrypt: str | None = None

    def kid_for(self, op: Operation) -> str | None:
        return self.sign if op == "sign" else self.encrypt


@dataclass(frozen=True, slots=True)
class KeySet:
    """Imported JWKs by kid, credentials by name and the default credential."""

    keys: Mapping[str, jwcrypto_jwk.JWK]
    credentials: Mapping[str, Credential]
    default_credential: str | None = None

    def get(self, kid: str, path: str) -> jwcrypto_jwk.JWK:
        """The JWK with ``kid``; ``path`` names the policy field that asked for it."""
        try:
            return self.keys[kid]
        except KeyError:
            raise KeySetError("no key with this kid in the key set", kid=kid,
                              path=path) from None

    def public_jwks(self) -> dict[str, Any]:
        """The public halves of every asymmetric key, for verifiers; never a private member."""
        out = []
        for kid, key in self.keys.items():
            if key.get("kty") == "oct":
                continue
            public = orjson.loads(key.export_public())
            public.setdefault("kid", kid)
            out.append(public)
        return {"keys": out}


def load_keyset(source: object) -> KeySet:
    """Read a key set from a path, a parsed dict or a :class:`KeySet` (returned as is)."""
    if isinstance(source, KeySet):
        return source
    if isinstance(source, (str, Path)):
        source = _read_file(Path(source))
    if not isinstance(source, Mapping):
        raise KeySetError(f"the key set must be a JSON object, got {describe(source)}")
    unknown = set(source) - {"keys", "credentials", "defaultCredential"}
    if unknown:
        raise KeySetError(f"unknown member {sorted(unknown)[0]!r} in the key set")
    keys = _import_keys(source.get("keys"))
    credentials = _credentials(source.get("credentials"), keys)
    default = source.get("defaultCredential")
    if default is not None and (not isinstance(default, str) or default not in credentials):
        raise KeySetError(f"defaultCredential {str(default)[:64]!r} names no credential")
    return KeySet(keys, credentials, default)


def _read_file(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: an embedded NUL in the path
        reason = exc.strerror if isinstance(exc, OSError) else "not a valid path"
        raise KeySetError(f"cannot read key set file {str(path)[:200]!r}: {reason}") from None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise KeySetError(f"key set file {str(path)[:200]!r} is not valid JSON") from None


def _import_keys(members: object) -> dict[str, jwcrypto_jwk.JWK]:
    if not isinstance(members, list):
        raise KeySetError("the key set needs a 'keys' array (RFC 7517 §5)")
    keys: dict[str, jwcrypto_jwk.JWK] = {}
    for index, member in enumerate(members):
        key = import_jwk(member, f"keys[{index}]")
        kid = key.get("kid") or key.thumbprint()
        if kid in keys:
            raise KeySetError("two keys share this kid", kid=kid)
        keys[kid] = key
    return keys


def import_jwk(member: object, where: str) -> jwcrypto_jwk.JWK:
    """One JWK imported by jwcrypto; the error names the kid or position, never the key."""
    if not isinstance(member, Mapping):
        raise KeySetError(f"{where} must be a JWK object, got {describe(member)}")
    kid = member.get("kid")
    if kid is not None and not is_text(kid):
        raise KeySetError(f"{where}.kid must be a string of valid Unicode")
    for name in ("alg", "use", "kty", "crv"):
        if name in member and not is_text(member[name]):
            raise KeySetError(f"{where}.{name} must be a string", kid=kid)
    try:
        return jwcrypto_jwk.JWK(**member)
    except (jwcrypto_jwk.InvalidJWKValue, jwcrypto_jwk.InvalidJWKType,
            jwcrypto_jwk.InvalidJWKUsage, ValueError, TypeError, KeyError) as exc:
        # jwcrypto's messages may quote members; only the exception's kind is shown.
        reason = type(exc).__name__
        if kid is not None:
            raise KeySetError(f"not a valid JWK ({reason})", kid=kid) from None
        raise KeySetError(f"{where} is not a valid JWK ({reason})") from None


def _credentials(obj: object, keys: Mapping[str, Any]) -> dict[str, Credential]:
    if obj is None:
        return {}
    if not isinstance(obj, Mapping):
        raise KeySetError("'credentials' must map a credential name to its kids")
    out = {}
    for name, slots in obj.items():
        if not is_text(name):
            raise KeySetError("credential names must be strings of valid Unicode")
        if not isinstance(slots, Mapping) or set(slots) - {"sign", "encrypt"}:
            raise KeySetError(f"credential {name!r} must be {{'sign': kid, 'encrypt': kid}}")
        for slot in ("sign", "encrypt"):
            kid = slots.get(slot)
            if kid is not None and not isinstance(kid, str):
                raise KeySetError(f"credential {name!r} {slot} must be a kid (a string)")
            if kid is not None and kid not in keys:
                raise KeySetError(f"credential {name!r} {slot} names an unknown kid", kid=kid)
        out[name] = Credential(name, slots.get("sign"), slots.get("encrypt"))
    return out


def check_signing_usage(key: jwcrypto_jwk.JWK, kid: str) -> None:
    """Refuse a JWK whose ``use`` (RFC 7517 §4.2) or ``key_ops`` (§4.3) forbid signing.

    Encryption keys are checked by the JWE layer, per key-management algorithm.
    """
    use = key.get("use")
    if use is not None and use != "sig":
        raise KeySetError(f"its use is {use!r}, which forbids signing", kid=kid)
    ops = key.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "sign" not in ops):
        raise KeySetError("its key_ops forbid signing", kid=kid)


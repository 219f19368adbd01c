"""The compiled policy: everything static decided once, then ``mint`` per token.

Compiling resolves keys, checks them, builds signers and encrypters and encodes the
protected headers. ``mint`` only renders the claims, signs and (optionally) encrypts, so a
compiled policy is immutable and safe to share between threads.
"""

from __future__ import annotations

import time
from binascii import b2a_base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .claims import ClaimsTemplate, Clock, Random, parse_raw, write_function
from .encoding import URLSAFE, b64u_encode, json_bytes
from .errors import KeySetError, MintError
from .jws import Signer, build_signer
from .keys import KeySet, Operation, load_keyset
from .policy import Policy, PolicyDocument, load_policy
from .randomness import random_bytes

if TYPE_CHECKING:
    from .jwe import Encrypter

_b64 = b64u_encode
DEFAULT_PBES2_COUNT = 600_000
Resolver = Callable[[Any], str]
RouteMinter = Callable[[Any, "str | None"], str]

# The sealing lines of each route kind, appended to the claims code (claims.py) to make one
# straight-line function per route. ``B64(x)`` is base64url without padding, in two C calls.
_B64 = 'b2a({}, newline=False).translate(URLSAFE, b"=")'
_SEAL_CODE = {
    "jws": """\
    si = HEADER + {b64_claims}
{sign}    return (si + b"." + {b64_sig}).decode()
""",
    "nested": """\
    si = HEADER + {b64_claims}
{sign}    return encrypt(si + b"." + {b64_sig}).decode()
""",
    "encrypted": """\
    return encrypt(claims).decode()
""",
    "unsecured": """\
    return (HEADER + {b64_claims} + b".").decode()
""",
}
_SIGN_CODE = "    sig = sign(si)\n"
# HMAC: copy the keyed state, update, finalize, with no function call in between.
_HMAC_CODE = "    h = keyed.copy()\n    h.update(si)\n    sig = h.finalize()\n"
_ROUTE_FUNCTION = "def mint_route(value=None, text=None):\n"
# The public mint of the default route: the credential dispatch, then the same lines.
_DEFAULT_FUNCTION = """\
def mint(data=None, *, credential=None):
    if credential is not None:
        return by_credential(data, credential)
    value, text = data, None
"""


@dataclass(frozen=True, slots=True)
class Route:
    """How one credential's tokens are sealed: JWS header and signer, then the encrypter."""

    sign_kid: str | None
    encrypt_kid: str | None
    alg: str
    enc: str | None
    header: bytes          # base64url of the JWS protected header, then "."
    signer: Signer | None  # None: Unsecured JWT (RFC 7519 §6) or encrypted-only
    encrypter: Encrypter | None

    @property
    def kind(self) -> str:
        if self.signer is None:
            return "unsecured" if self.encrypter is None else "encrypted"
        return "jws" if self.encrypter is None else "nested"

    def sign(self, claims: bytes) -> bytes:
        """The compact JWS (or Unsecured JWT) of ``claims``: this route's first stage."""
        signing_input = self.header + _b64(claims)
        if self.signer is None:
            return signing_input + b"."
        return signing_input + b"." + _b64(self.signer(signing_input))

    def code(self) -> tuple[str, dict[str, Any]]:
        """The lines that turn ``claims`` into the returned token, and what they use."""
        keyed = getattr(self.signer, "keyed_hmac", None)
        source = _SEAL_CODE[self.kind].format(
            b64_claims=_B64.format("claims"), b64_sig=_B64.format("sig"),
            sign=_SIGN_CODE if keyed is None else _HMAC_CODE)
        names = {"HEADER": self.header, "sign": self.signer, "keyed": keyed,
                 "b2a": b2a_base64, "URLSAFE": URLSAFE,
                 "encrypt": self.encrypter.encrypt if self.encrypter else None}
        return source, names


class CompiledPolicy:
    """A policy bound to its keys, ready to mint. Build it with :func:`compile_policy`."""

    def __init__(self, document: PolicyDocument, keys: KeySet, *, clock: Clock | None = None,
                 rng: Random | None = None, resolvers: Mapping[str, Resolver] | None = None,
                 pbes2_count: int = DEFAULT_PBES2_COUNT):
        self.document = document
        self.policy: Policy = document.policy
        self.keys = keys
        self.resolvers: Mapping[str, Resolver] = dict(resolvers or {})
        self._rng = rng or random_bytes
        self.clock: Clock = clock or time.time
        self._pbes2_count = pbes2_count
        self._claims = ClaimsTemplate(self.policy, self.clock, rng)
        self._fallback = self._fallback_credential()
        self._routes = self._build_routes()
        self._minters = {k: self._write(r, _ROUTE_FUNCTION, "mint_route")
                         for k, r in self._routes.items()}
        default = self._routes.get(self._fallback)
        if default is not None:
            # The instance attribute shadows the method below: same signature, no extra call.
            minter = self._write(default, _DEFAULT_FUNCTION, "mint")
            minter.__doc__ = CompiledPolicy.mint.__doc__
            self.mint = minter  # type: ignore[method-assign]
        else:
            default = next(iter(self._routes.values()))
        self.alg: str = default.alg
        self.enc: str | None = default.enc

    def _write(self, route: Route, head: str, name: str) -> Callable[..., str]:
        seal, names = route.code()
        namespace = {**self._claims.namespace, **names, "by_credential": self._by_credential}
        return write_function(head + self._claims.code + seal, namespace, name)

    # -- per token -------------------------------------------------------------------------

    def mint(self, data: Any = None, *, credential: str | None = None) -> str:
        """Mint one compact token; ``data`` is the raw data as a parsed JSON value."""
        return self._by_credential(data, credential)

    def mint_raw(self, raw: bytes | str | None, *, credential: str | None = None) -> str:
        """Mint from raw message text: JSON when it parses, otherwise plain text."""
        value, text = parse_raw(raw)
        return self._minter(credential)(value, text)

    def apply(self, message: Any, *, credential: str | None = None) -> Any:
        """Run the policy on a gateway message; see :func:`jose_engine.runtime.apply_policy`."""
        from .runtime import apply_policy
        return apply_policy(self, message, credential=credential)

    def route(self, credential: str | None = None) -> Route:
        """The keys, header, signer and encrypter a credential's tokens go through."""
        self._minter(credential)  # the same errors as minting for an unusable credential
        return self._routes[credential if credential is not None else self._fallback]

    def render_claims(self, data: Any = None, text: str | None = None) -> bytes:
        """The claims JSON a token would carry for ``data`` (for tools and benchmarks)."""
        return self._claims.render(data, text)

    def _by_credential(self, data: Any, credential: str | None) -> str:
        return self._minter(credential)(data, None)

    def _minter(self, credential: str | None) -> RouteMinter:
        try:
            return self._minters[credential if credential is not None else self._fallback]
        except (KeyError, TypeError):  # TypeError: an unhashable credential
            raise self._credential_error(credential) from None

    def _credential_error(self, credential: str | None) -> MintError:
        if credential is None:
            return MintError("no credential: name one, or give the key set a "
                             "defaultCredential or a credential named after the issuer",
                             path="credential")
        if not isinstance(credential, str):
            return MintError(f"expected a credential name, got {type(credential).__name__}",
                             path="credential")
        shown = repr(credential[:64])
        if credential not in self.keys.credentials:
            return MintError(f"{shown} is not a credential of the key set", path="credential")
        slot = "sign" if self._kid("sign", credential) is None else "encrypt"
        return MintError(f"{shown} has no {slot} key, which this policy needs",
                         path="credential")

    # -- compile time ----------------------------------------------------------------------

    def _by_issuer(self) -> bool:
        p = self.policy
        return (p.sign and p.sign_by_issuer) or (p.encrypt and p.encrypt_by_issuer)

    def _fallback_credential(self) -> str | None:
        creds = self.keys.credentials
        if not self._by_issuer():
            return None
        issuer = self.policy.issuer
        if issuer is not None and issuer in creds:
            return issuer
        if self.keys.default_credential is not None:
            return self.keys.default_credential
        if not creds:
            field = "signByIssuer" if self.policy.sign and self.policy.sign_by_issuer \
                else "encryptByIssuer"
            raise KeySetError(f"policy.{field} is true but the key set has no credentials")
        return None

    def _build_routes(self) -> dict[str | None, Route]:
        if not self._by_issuer():
            return {None: self._route_for(None)}
        routes: dict[str | None, Route] = {}
        cache: dict[tuple[str | None, str | None], Route] = {}
        for name in self.keys.credentials:
            kids = (self._kid("sign", name), self._kid("encrypt", name))
            if None in kids and (self._needs("sign", kids[0]) or self._needs("encrypt", kids[1])):
                continue  # this credential cannot serve the policy; refused at mint time
            route = cache.get(kids) or self._route_for(name)
            cache[kids] = routes[name] = route
        if self._fallback is not None and self._fallback not in routes:
            raise KeySetError(f"credential {self._fallback!r} lacks a key this policy needs")
        if not routes:
            raise KeySetError("no credential in the key set has the keys this policy needs")
        return routes

    def _needs(self, op: Operation, kid: str | None) -> bool:
        on = self.policy.sign if op == "sign" else self.policy.encrypt
        return on and kid is None

    def _kid(self, op: Operation, credential: str | None) -> str | None:
        p = self.policy
        if op == "sign":
            on, by_issuer, static = p.sign, p.sign_by_issuer, p.sign_kid
        else:
            on, by_issuer, static = p.encrypt, p.encrypt_by_issuer, p.encrypt_kid
        if not on:
            return None
        if not by_issuer:
            return static
        return None if credential is None else self.keys.credentials[credential].kid_for(op)

    def _route_for(self, credential: str | None) -> Route:
        p = self.policy
        sign_kid, encrypt_kid = self._kid("sign", credential), self._kid("encrypt", credential)
        typ = p.type_value if p.add_type_to_header else None
        header: dict[str, str] = {}
        signer = None
        if p.sign:
            assert sign_kid is not None
            key = self.keys.get(sign_kid, _field("sign", p))
            try:
                alg, signer = build_signer(key, sign_kid)
            except KeySetError as exc:
                raise KeySetError(exc.message, kid=exc.kid, path=_field("sign", p)) from None
            header["alg"] = alg.name
            if key.get("kid"):
                header["kid"] = key["kid"]
        else:
            header["alg"] = "none"
        if typ is not None:
            header["typ"] = typ
        encrypter = None
        if p.encrypt:
            assert encrypt_kid is not None
            encrypter = self._encrypter(encrypt_kid, typ=None if p.sign else typ,
                                        cty="JWT" if p.sign else None)
        # The alg reported for metrics: the JWS one, else the JWE key management one.
        reported = encrypter.alg if encrypter is not None and not p.sign else header["alg"]
        return Route(sign_kid, encrypt_kid, reported, encrypter.enc if encrypter else None,
                     _b64(json_bytes(header)) + b".", signer, encrypter)

    def _encrypter(self, kid: str, *, typ: str | None, cty: str | None) -> Encrypter:
        from .jwe import build_encrypter
        field = _field("encrypt", self.policy)
        key = self.keys.get(kid, field)
        method = self.policy.encryption_method
        assert method is not None
        try:
            return build_encrypter(key, method.value, kid=key.get("kid"), cty=cty, typ=typ,
                                   pbes2_count=self._pbes2_count, rng=self._rng)
        except KeySetError as exc:
            raise KeySetError(exc.message, kid=exc.kid if exc.kid is not None else kid,
                              path=field) from None


def _field(op: Operation, p: Policy) -> str:
    if op == "sign":
        return "policy.signByIssuer" if p.sign_by_issuer else "policy.jwkIdForValidationAndSign"
    return ("policy.encryptByIssuer" if p.encrypt_by_issuer
            else "policy.jwkIdForDecryptionAndEncryption")


def compile_policy(policy: object, keys: object, *, clock: Clock | None = None,
                   rng: Random | None = None, resolvers: Mapping[str, Resolver] | None = None,
                   pbes2_count: int = DEFAULT_PBES2_COUNT) -> CompiledPolicy:
    """Compile ``policy`` with ``keys``; each may be a file path, a parsed dict or an object.

    ``clock`` (seconds since the epoch) and ``rng`` (n -> n random octets) may be replaced
    in tests; ``resolvers`` maps a script variable's name to a Python function.
    """
    document = load_policy(policy, script_variables=tuple(resolvers or ()))
    keyset = load_keyset(keys)
    compiled = CompiledPolicy(document, keyset, clock=clock, rng=rng, resolvers=resolvers,
                              pbes2_count=pbes2_count)
    if document.policy.variables():
        _prepare_variables(compiled)
    return compiled


def _prepare_variables(compiled: CompiledPolicy) -> None:
    """Compile the policy's JSONPath/XPath once, so a bad expression fails here, naming it."""
    try:
        from .runtime import prepare
    except ImportError:  # the runtime extra is not installed: nothing reads messages here
        return
    prepare(compiled)

"""The peers (PyJWT, joserfc, jwcrypto, python-jose) minting the same claims with the same
``alg``, ``enc`` and key, each with its key imported once, before the clock starts.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..encoding import b64u_decode
from .workload import Minter, Workload, claims_factory

# -- peers ------------------------------------------------------------------------------------

PEERS = ("PyJWT", "joserfc", "jwcrypto", "python-jose")


class Unsupported(Exception):
    """A peer cannot mint what the policy mints; the message says why."""


def peer_minters(work: Workload) -> tuple[dict[str, Minter], dict[str, str]]:
    """Ready minters for each installed peer that supports the policy, and why others not."""
    builders = {"PyJWT": _pyjwt, "joserfc": _joserfc, "jwcrypto": _jwcrypto,
                "python-jose": _python_jose}
    jws_header, jwe_header = work.headers()
    keys = work.compiled.keys.keys
    sign_jwk = keys[work.route.sign_kid] if work.signs and work.route.sign_kid else None
    enc_jwk = keys[work.route.encrypt_kid] if work.route.encrypt_kid else None
    spec = PeerSpec(claims_factory(work.compiled.policy, work.value, work.text),
                    jws_header if work.signs else None, jwe_header,
                    _export(sign_jwk), _export(enc_jwk))
    minters: dict[str, Minter] = {}
    skipped: dict[str, str] = {}
    if spec.jws_header is None and spec.jwe_header is None:
        return minters, dict.fromkeys(builders, "unsecured tokens are not compared")
    for name, build in builders.items():
        try:
            fn = build(spec)
            fn()  # one token before timing: a peer that fails here is reported, not timed
        except ImportError:
            skipped[name] = "not installed"
        except Unsupported as exc:
            skipped[name] = str(exc)
        except Exception as exc:
            skipped[name] = f"failed: {type(exc).__name__}"
        else:
            minters[name] = fn
    return minters, skipped


def _export(key: Any) -> dict[str, Any]:
    if key is None:
        return {}
    secret = key.get("kty") == "oct" or key.has_private
    jwk: dict[str, Any] = key.export(private_key=secret, as_dict=True)
    return jwk


@dataclass(frozen=True)
class PeerSpec:
    """What a peer needs to mint our token: claims, headers and keys as plain JWK dicts."""

    claims: Callable[[], dict[str, Any]]
    jws_header: dict[str, Any] | None   # None: the policy does not sign
    jwe_header: dict[str, Any] | None   # None: the policy does not encrypt
    sign_jwk: dict[str, Any]            # {} when there is no such key
    enc_jwk: dict[str, Any]

    def extra(self) -> dict[str, Any]:
        """The JWS header without ``alg``; ``typ`` stays None when our header has none."""
        assert self.jws_header is not None
        out = {k: v for k, v in self.jws_header.items() if k != "alg"}
        out.setdefault("typ", None)
        return out


def _compact_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _pyjwt(spec: PeerSpec) -> Minter:
    import jwt
    from jwt.algorithms import get_default_algorithms
    if spec.jwe_header is not None:
        raise Unsupported("no JWE")
    if spec.jws_header is None:
        raise Unsupported("unsigned tokens are not compared")
    alg = spec.jws_header["alg"]
    if alg not in get_default_algorithms():
        raise Unsupported(f"does not support {alg}")
    key = jwt.PyJWK(spec.sign_jwk, alg).key  # a prepared key object (bytes for HMAC)
    encode, claims, headers = jwt.encode, spec.claims, spec.extra()
    return lambda: encode(claims(), key, algorithm=alg, headers=headers)


def _joserfc(spec: PeerSpec) -> Minter:
    from joserfc import jwe, jwt
    from joserfc.jwk import import_key
    claims = spec.claims
    signed: Callable[[], str] | None = None
    if spec.jws_header is not None:
        alg = spec.jws_header["alg"]
        from joserfc.jws import JWSRegistry
        if alg not in JWSRegistry.algorithms:
            raise Unsupported(f"does not support {alg}")
        sign_key, header = import_key(spec.sign_jwk), spec.jws_header
        signed = functools.partial(_joserfc_sign, jwt.encode, header, claims, sign_key, [alg])
    if spec.jwe_header is None:
        assert signed is not None
        return signed
    header = spec.jwe_header
    algs = [header["alg"], header["enc"]]
    if header["enc"] in ("XC20P", "C20P"):
        from joserfc.drafts.jwe_chacha20 import register_chacha20_poly1305
        register_chacha20_poly1305()
    supported = jwe.JWERegistry.algorithms
    if algs[0] not in supported["alg"] or algs[1] not in supported["enc"]:
        raise Unsupported(f"does not support {algs[0]} with {algs[1]}")
    enc_key, encrypt = import_key(spec.enc_jwk), jwe.encrypt_compact
    # A fresh header dict per token: joserfc writes ``epk`` into the one it is given.
    if signed is None:
        return lambda: encrypt(dict(header), _compact_json(claims()), enc_key,
                               algorithms=algs)
    inner = signed
    return lambda: encrypt(dict(header), inner(), enc_key, algorithms=algs)


def _joserfc_sign(encode: Any, header: Any, claims: Callable[[], Any], key: Any,
                  algs: list[str]) -> str:
    out: str = encode(header, claims(), key, algorithms=algs, default_type=None)
    return out


def _jwcrypto(spec: PeerSpec) -> Minter:
    from jwcrypto.common import JWException
    from jwcrypto.jwa import JWA
    from jwcrypto.jwk import JWK
    from jwcrypto.jwt import JWT
    names = [spec.jws_header["alg"]] if spec.jws_header else []
    if spec.jwe_header:
        names += [spec.jwe_header["alg"], spec.jwe_header["enc"]]
    for name in names:
        try:
            JWA.instantiate_alg(name)
        except (KeyError, JWException):
            raise Unsupported(f"does not support {name}") from None
    claims = spec.claims
    inner: Callable[[], Any] = claims
    if spec.jws_header is not None:
        sign_key, header = JWK(**spec.sign_jwk), spec.jws_header
        alg = [header["alg"]]

        def signed() -> str:
            token = JWT(header=header, claims=claims(), algs=alg)
            token.make_signed_token(sign_key)
            out: str = token.serialize()
            return out
        inner = signed
    if spec.jwe_header is None:
        return inner
    enc_key, jwe_header = JWK(**spec.enc_jwk), spec.jwe_header
    algs = [jwe_header["alg"], jwe_header["enc"]]

    def encrypted() -> str:
        # A fresh header dict per token: jwcrypto writes ``epk`` into the one it is given.
        token = JWT(header=dict(jwe_header), claims=inner(), algs=algs)
        token.make_encrypted_token(enc_key)
        out: str = token.serialize()
        return out
    return encrypted


def _python_jose(spec: PeerSpec) -> Minter:
    from jose import jwe, jwk, jwt
    from jose.constants import ALGORITHMS
    from jwcrypto.jwk import JWK
    claims = spec.claims
    signed: Callable[[], str] | None = None
    if spec.jws_header is not None:
        alg = spec.jws_header["alg"]
        if alg not in ALGORITHMS.SUPPORTED or alg.startswith("PS"):
            raise Unsupported(f"does not support {alg}")
        key, headers, encode = jwk.construct(spec.sign_jwk, alg), spec.extra(), jwt.encode
        if headers.get("typ") is None:
            headers.pop("typ")

        def sign() -> str:
            out: str = encode(claims(), key, algorithm=alg, headers=headers)
            return out
        signed = sign
    if spec.jwe_header is None:
        assert signed is not None
        return signed
    header = spec.jwe_header
    alg_e, enc = header["alg"], header["enc"]
    if alg_e not in ALGORITHMS.SUPPORTED or enc not in ALGORITHMS.SUPPORTED:
        raise Unsupported(f"does not support {alg_e} with {enc}")
    # jwe.encrypt imports its key on every call; a key object is the cheapest it takes.
    enc_key: Any = b64u_decode(spec.enc_jwk["k"]) if alg_e == "dir" \
        else JWK(**_public(spec.enc_jwk)).get_op_key("encrypt")
    encrypt, kid, cty = jwe.encrypt, header.get("kid"), header.get("cty")
    # jwe.encrypt returns bytes; decoded as every other implementation returns text.
    if signed is None:
        return lambda: encrypt(_compact_json(claims()), enc_key, encryption=enc,
                               algorithm=alg_e, kid=kid, cty=cty).decode()
    inner = signed
    return lambda: encrypt(inner(), enc_key, encryption=enc, algorithm=alg_e, kid=kid,
                           cty=cty).decode()


def _public(jwk: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq", "qi", "oth")}


def peer_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None

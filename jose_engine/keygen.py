"""``jose-engine keys generate``: new JWKs with jwcrypto, written as a key set."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
from jwcrypto import jwk as jwcrypto_jwk

from .errors import JoseEngineError
from .keys import load_keyset

# Octets an oct key needs for an alg it is marked with (RFC 7518 §3.2, §4.4, §4.7, §5).
_OCT_BITS = {"HS256": 256, "HS384": 384, "HS512": 512, "A128KW": 128, "A192KW": 192,
             "A256KW": 256, "A128GCMKW": 128, "A192GCMKW": 192, "A256GCMKW": 256,
             "PBES2-HS256+A128KW": 256, "PBES2-HS384+A192KW": 256,
             "PBES2-HS512+A256KW": 256}
_DEFAULT_CRV = {"EC": "P-256", "OKP": "Ed25519"}
# Sizes past these take minutes to generate and buy nothing (RFC 7518 keys top out lower).
_MAX_BITS = {"RSA": 16384, "oct": 4096}


_CURVES = {"EC": ("P-256", "P-384", "P-521", "secp256k1"),
           "OKP": ("Ed25519", "Ed448", "X25519", "X448")}


def _params(args: argparse.Namespace) -> dict[str, Any]:
    """jwcrypto's generate() arguments; options that do not fit the key type are refused."""
    if args.kty in _CURVES:
        if args.size is not None:
            raise JoseEngineError(f"a {args.kty} key has a curve, not a size; use --crv",
                                  path="--size")
        crv = args.crv or _DEFAULT_CRV[args.kty]
        if crv not in _CURVES[args.kty]:
            raise JoseEngineError(f"expected one of {', '.join(_CURVES[args.kty])}",
                                  path="--crv")
        return {"kty": args.kty, "crv": crv}
    if args.crv is not None:
        raise JoseEngineError(f"a {args.kty} key has a size, not a curve; use --size",
                              path="--crv")
    default = _OCT_BITS.get(args.alg or "", 256) if args.kty == "oct" else 2048
    size = args.size or default
    if size <= 0 or size % 8 or size > _MAX_BITS[args.kty]:
        raise JoseEngineError(f"expected a multiple of 8 bits, at most {_MAX_BITS[args.kty]}",
                              path="--size")
    return {"kty": args.kty, "size": size}


def generate(args: argparse.Namespace) -> jwcrypto_jwk.JWK:
    """A new private JWK from the command's options, checked as a policy would check it."""
    key = jwcrypto_jwk.JWK.generate(**_params(args))
    extra = {name: getattr(args, name) for name in ("alg", "use") if getattr(args, name)}
    extra["kid"] = args.kid or key.thumbprint()
    key = jwcrypto_jwk.JWK(**{**orjson.loads(key.export()), **extra})
    _check(key, extra["kid"], args.use)
    return key


def _check(key: jwcrypto_jwk.JWK, kid: str, use: str | None) -> None:
    """Refuse now what compiling a policy would refuse later (weak sizes, alg mismatch)."""
    from .jwe import build_encrypter
    from .jws import ALGORITHMS, build_signer
    alg = key.get("alg")
    if use == "sig":
        build_signer(key, kid)
    elif use == "enc" or (alg is not None and alg not in ALGORITHMS):
        if alg != "dir":  # a dir key's fit depends on the policy's method
            build_encrypter(key, "A256GCM", kid=kid, cty=None, typ=None, pbes2_count=1000)
    elif key.get("kty") in ("oct", "RSA") or alg is not None or key.get("crv") in (
            "P-256", "P-384", "P-521", "secp256k1", "Ed25519", "Ed448"):
        build_signer(key, kid)


def generate_into(args: argparse.Namespace) -> str | None:
    """Generate a key; print a JWKS, or add it to ``--into`` atomically and print nothing."""
    key = orjson.loads(generate(args).export())
    if args.into is None:
        if args.credential:
            raise JoseEngineError("--credential needs --into FILE", path="--credential")
        return orjson.dumps({"keys": [key]}, option=orjson.OPT_INDENT_2).decode() + "\n"
    path = Path(args.into)
    keyset: dict[str, Any] = {"keys": []}
    if path.exists():
        keyset = _read(path)
        load_keyset(keyset)  # refuse to extend a broken key set
    keyset["keys"].append(key)
    if args.credential:
        slot = args.slot or ("encrypt" if args.use == "enc" else "sign")
        keyset.setdefault("credentials", {}).setdefault(args.credential, {})[slot] = key["kid"]
        if args.default:
            keyset["defaultCredential"] = args.credential
    load_keyset(keyset)
    _write_atomically(path, orjson.dumps(keyset, option=orjson.OPT_INDENT_2) + b"\n")
    return None


def _read(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except OSError as exc:
        raise JoseEngineError(f"cannot read {str(path)!r}: {exc.strerror}", path="--into") from None
    except orjson.JSONDecodeError:
        raise JoseEngineError(f"{str(path)!r} is not a JSON key set", path="--into") from None


def _write_atomically(path: Path, data: bytes) -> None:
    # A key set is written whole or not at all: temp file in the same folder, then rename.
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=".jwks-")
    except OSError as exc:
        raise JoseEngineError(f"cannot write beside {str(path)!r}: {exc.strerror}",
                              path="--into") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise

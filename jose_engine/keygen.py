"""``jose-engine keys generate``: new JWKs with jwcrypto, written as a key set."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
from jwcrypto import jwk as jwcrypto_jwk

from .errors import JoseEngineError, KeySetError
from .keys import load_keyset

# Octets an oct key needs for an alg it is marked with (RFC 7518 §3.2, §4.4, §4.7, §5).
_OCT_BITS = {"HS256": 256, "HS384": 384, "HS512": 512, "A128KW": 128, "A192KW": 192,
             "A256KW": 256, "A128GCMKW": 128, "A192GCMKW": 192, "A256GCMKW": 256,
             "PBES2-HS256+A128KW": 256, "PBES2-HS384+A192KW": 256,
             "PBES2-HS512+A256KW": 256}
_DEFAULT_CRV = {"EC": "P-256", "OKP": "Ed25519"}


def generate(args: argparse.Namespace) -> jwcrypto_jwk.JWK:
    """A new private JWK from the command's options."""
    params: dict[str, Any] = {"kty": args.kty}
    if args.kty == "oct":
        params["size"] = args.size or _OCT_BITS.get(args.alg or "", 256)
    elif args.kty == "RSA":
        params["size"] = args.size or 2048
    else:
        params["crv"] = args.crv or _DEFAULT_CRV[args.kty]
    try:
        key = jwcrypto_jwk.JWK.generate(**params)
    except (ValueError, TypeError, jwcrypto_jwk.InvalidJWKValue) as exc:
        raise KeySetError(f"cannot generate this key: {type(exc).__name__}") from None
    extra = {name: getattr(args, name) for name in ("alg", "use") if getattr(args, name)}
    extra["kid"] = args.kid or key.thumbprint()
    return jwcrypto_jwk.JWK(**{**orjson.loads(key.export()), **extra})


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
        keyset = orjson.loads(path.read_bytes())
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


def _write_atomically(path: Path, data: bytes) -> None:
    # A key set is written whole or not at all: temp file in the same folder, then rename.
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=".jwks-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise

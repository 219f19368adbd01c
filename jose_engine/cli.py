"""jose-engine: mint JOSE tokens from gateway policies, make keys, apply policies to
messages, serve the management API and measure speed.

Bad input exits with status 2 and one line on stderr naming the field or kid at fault.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .errors import JoseEngineError

# Subcommands that live beside their subsystem: (module, name, help, the extra it needs).
_PLUGGED = (
    ("jose_engine.runtime.cli", "apply", "run a policy on a gateway message (JSON)", "runtime"),
    ("jose_engine.service.cli", "serve", "run the management API and token service", "service"),
    ("jose_engine.bench", "bench", "measure minting speed with your own policy", "bench"),
)


def read_input(name: str) -> bytes:
    """The bytes of data file ``name``, or standard input for ``-``."""
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        with open(name, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise JoseEngineError(f"cannot read data file {name!r}: {exc.strerror}",
                              path="--data") from None


def cmd_mint(args: argparse.Namespace) -> int:
    from .compiled import compile_policy
    compiled = compile_policy(args.policy, args.keys)
    if args.data is None:
        token = compiled.mint(credential=args.credential)
    else:
        token = compiled.mint_raw(read_input(args.data), credential=args.credential)
    sys.stdout.write(token + "\n")
    return 0


def cmd_keys_generate(args: argparse.Namespace) -> int:
    from .keygen import generate_into
    out = generate_into(args)
    if out is not None:
        sys.stdout.write(out)
    return 0


def _add_mint(sub: Any) -> None:
    p = sub.add_parser("mint", help="mint one token from a policy file and a key set")
    p.add_argument("--policy", required=True, help="policy file (Add/Update body or policy)")
    p.add_argument("--keys", required=True, help="key set file (JWKS with credentials)")
    p.add_argument("--data", help="raw data file, or - for standard input")
    p.add_argument("--credential", help="credential for signByIssuer / encryptByIssuer")
    p.set_defaults(func=cmd_mint)


def _add_keys(sub: Any) -> None:
    p = sub.add_parser("keys", help="make keys")
    ksub = p.add_subparsers(dest="keys_command", metavar="generate", required=True)
    g = ksub.add_parser("generate", help="write a JWKS holding a new key")
    g.add_argument("--kty", required=True, choices=("oct", "RSA", "EC", "OKP"))
    g.add_argument("--crv", help="EC: P-256, P-384, P-521, secp256k1; "
                                 "OKP: Ed25519, Ed448, X25519, X448")
    g.add_argument("--size", type=int, help="bits: RSA modulus (default 2048) or oct key")
    g.add_argument("--alg", help="the JWK's alg (HS256, RS256, RSA-OAEP-256, A256KW, dir...)")
    g.add_argument("--kid", help="key id (default: the RFC 7638 thumbprint)")
    g.add_argument("--use", choices=("sig", "enc"), help="the JWK's use")
    g.add_argument("--into", metavar="FILE",
                   help="add the key to this key set file (created if missing)")
    g.add_argument("--credential", help="with --into: map this credential to the key")
    g.add_argument("--slot", choices=("sign", "encrypt"), default=None,
                   help="with --credential: which slot (default from --use, else sign)")
    g.add_argument("--default", action="store_true",
                   help="with --credential: make it the defaultCredential")
    g.set_defaults(func=cmd_keys_generate)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jose-engine", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_mint(sub)
    _add_keys(sub)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for module, name, help_, extra in _PLUGGED:
        if name == chosen:
            _plug(sub, module, name, help_, extra)
        else:
            # Imported only when chosen: ``mint`` must not pay for the server's imports.
            sub.add_parser(name, help=help_, add_help=False)
    return parser


def _plug(sub: Any, module: str, name: str, help_: str, extra: str) -> None:
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        # No option prefix: every word, "--help" included, lands in ``rest``, so the one
        # message below is what the user sees.
        p = sub.add_parser(name, help=help_, add_help=False, prefix_chars="\0")
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=_unavailable(name, exc.name or module, extra))
        return
    mod.add_parser(sub)


def _unavailable(name: str, missing: str, extra: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        raise JoseEngineError(f"'{name}' needs the {extra} extra ({missing} is not installed): "
                              f"pip install -e '.[{extra}]' from the jose-engine checkout")
    return run


def _show_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    sys.stderr.write(f"jose-engine: warning: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        code: int = args.func(args)
        return code
    except JoseEngineError as exc:
        sys.stderr.write(f"jose-engine: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

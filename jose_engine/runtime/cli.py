"""``jose-engine apply``: run a policy on one message given as JSON, print the result.

Bad input (policy, keys, message, resolver) and a token that cannot be minted exit with
status 2 and one line on stderr naming the field; nothing is printed on stdout then. An
error that is not one of ours (a key file the core does not catch, a resolver that raises)
is the same one line, naming only the exception's class: its text may hold key material.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import Any

import orjson

from ..encoding import loads_json
from ..errors import JoseEngineError, MessageError
from .apply import apply_policy
from .codec import message_from_json, message_to_json

EXIT_BAD_INPUT = 2


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``apply`` on an argparse subparsers object; it sets ``func=run``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "apply", help="run a policy on a gateway message (JSON)",
        description="Read a message as JSON (method, path, pathParams, query, headers, form, "
                    "body, contentType, variables, context), apply the policy and print the "
                    "resulting message in the same shape.")
    p.add_argument("--policy", required=True, help="policy file (Add/Update body or policy)")
    p.add_argument("--keys", required=True, help="key set file (JWKS with credentials)")
    p.add_argument("--message", required=True, metavar="FILE",
                   help="message JSON file, or - for standard input")
    p.add_argument("--credential",
                   help="credential for signByIssuer/encryptByIssuer (default: the message "
                        "context's credential)")
    p.add_argument("--resolver", action="append", default=[], metavar="NAME=MODULE:FUNC",
                   help="Python function(message) -> str for an initWithScript variable")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``apply``; returns the exit status (0, or 2 with one line on stderr)."""
    try:
        result = _apply(args)
    except JoseEngineError as exc:
        return _fail(str(exc))
    except (ValueError, TypeError, LookupError, ArithmeticError, RecursionError) as exc:
        # Not raised on purpose: the text is not ours to show (it may quote a key).
        return _fail(f"cannot apply the policy ({type(exc).__name__}); check the policy "
                     "and key set files")
    sys.stdout.buffer.write(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()
    return 0


def _fail(text: str) -> int:
    line = " ".join(text.split())  # one line, whatever the cause's text holds
    sys.stderr.write(f"jose-engine: error: {line}\n")
    return EXIT_BAD_INPUT


def _apply(args: argparse.Namespace) -> dict[str, Any]:
    from ..compiled import compile_policy
    resolvers = dict(_resolver(spec) for spec in args.resolver)
    message = message_from_json(_read_message(args.message))
    compiled = compile_policy(args.policy, args.keys, resolvers=resolvers)
    return message_to_json(apply_policy(compiled, message, credential=args.credential))


def _read_message(name: str) -> Any:
    try:
        if name == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(name, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        raise MessageError(f"cannot read message file {name!r}: {exc.strerror}",
                           path="--message") from None
    try:
        return loads_json(data)
    except (ValueError, RecursionError):  # InvalidJSON, or an integer of 4300+ digits
        raise MessageError(f"is not valid JSON{json_error_at(data)} (RFC 8259: no NaN, "
                           "Infinity, lone surrogate or number too large)",
                           path="message") from None


def json_error_at(data: bytes) -> str:
    """`` (line L, column C)`` where orjson stops reading ``data``, or nothing."""
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return f" (line {exc.lineno}, column {exc.colno})"
    return ""


def _resolver(spec: str) -> tuple[str, Callable[..., Any]]:
    name, _, target = spec.partition("=")
    module, _, attr = target.partition(":")
    if not name or not module or not attr:
        raise JoseEngineError("expected NAME=MODULE:FUNC", path="--resolver")
    try:
        func = getattr(importlib.import_module(module), attr)
    except Exception as exc:  # importing runs the module: anything may fail
        raise JoseEngineError(f"cannot import {target!r} ({type(exc).__name__})",
                              path="--resolver") from None
    if not callable(func):
        raise JoseEngineError(f"{target!r} is not callable", path="--resolver")

    def resolve(message: Any) -> Any:
        try:
            return func(message)
        except Exception as exc:  # the user's code: one line, no traceback
            raise JoseEngineError(f"the resolver {target!r} for {name!r} raised "
                                  f"{type(exc).__name__}", path="--resolver") from None
    return name, resolve

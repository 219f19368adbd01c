"""``jose-engine serve``: run the service under uvicorn.

Settings are checked here, before uvicorn starts, so a bad one is one line on stderr and
exit status 2. Worker processes rebuild the app from ``JOSE_ENGINE_SERVICE_CONFIG``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

# The serve command's own dependencies (the ``service`` extra), imported up front so that a
# missing one is reported by the main CLI as one line naming the extra, before any file is
# touched.
import starlette  # noqa: F401
import uvicorn

from ..errors import JoseEngineError
from .config import (
    CONFIG_ENV,
    DEFAULT_MAX_BODY,
    UNEXPECTED,
    ConfigError,
    ServiceConfig,
    load_tokens,
    parse_environments,
)

EXIT_BAD_CONFIG = 2


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``serve`` on an argparse subparsers object; it sets ``func=run``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "serve", help="run the management API and token service",
        description="Serve the management API (/apiops), tokens (/runtime), the JWKS, "
                    "health and metrics. API tokens come from JOSE_ENGINE_API_TOKENS "
                    "(comma-separated) and/or --tokens-file.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default %(default)s)")
    p.add_argument("--db", default="jose-engine.db", metavar="FILE",
                   help="SQLite database (created on first start)")
    p.add_argument("--keys", metavar="FILE", help="key set (JWKS with credentials)")
    p.add_argument("--environments", default="production", metavar="A,B",
                   help="environment names (default: production)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="worker processes sharing the database")
    p.add_argument("--tokens-file", metavar="FILE", help="API tokens, one per line")
    p.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY, metavar="BYTES",
                   help=f"largest request body (default {DEFAULT_MAX_BODY})")
    p.add_argument("--log-level", default="info",
                   choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(func=run)
    return p


def config_from_args(args: argparse.Namespace) -> ServiceConfig:
    """Check every setting the way a worker would use it; ConfigError names the bad one."""
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be from 0 to 65535, not {args.port}")
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    if args.max_body < 1:
        raise ConfigError("--max-body must be a positive number of bytes")
    config = ServiceConfig(db=args.db, keys=args.keys,
                           environments=parse_environments(args.environments),
                           tokens_file=args.tokens_file, max_body=args.max_body)
    load_tokens(config)
    from ..keys import load_keyset
    from .storage import SQLiteStorage
    if config.keys:
        try:
            load_keyset(config.keys)
        except JoseEngineError:
            raise
        except UNEXPECTED as exc:  # the core's accident; its text may quote a key
            raise ConfigError(f"--keys {config.keys!r}: cannot load the key set "
                              f"({type(exc).__name__})") from None
    SQLiteStorage(config.db).close()  # creates the database, or says why it cannot
    return config


def run(args: argparse.Namespace) -> int:
    """Start the service; returns the exit status (2 with one stderr line for bad settings)."""
    try:
        config = config_from_args(args)
    except (ConfigError, JoseEngineError, RuntimeError) as exc:
        line = " ".join(str(exc).split())
        sys.stderr.write(f"jose-engine: error: {line}\n")
        return EXIT_BAD_CONFIG
    from .logs import logging_config
    os.environ[CONFIG_ENV] = config.to_env()
    uvicorn.run("jose_engine.service.app:app_from_environment", factory=True,
                host=args.host, port=args.port, workers=args.workers,
                log_config=logging_config(args.log_level.upper()), log_level=args.log_level,
                access_log=False, server_header=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jose_engine.service")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code

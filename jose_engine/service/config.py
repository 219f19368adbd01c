"""The service's settings, and how they travel to uvicorn worker processes."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson

# Worker processes are started by uvicorn and build their app from this variable.
CONFIG_ENV = "JOSE_ENGINE_SERVICE_CONFIG"
TOKENS_ENV = "JOSE_ENGINE_API_TOKENS"
DEFAULT_MAX_BODY = 1024 * 1024


# What the core may raise by accident on a broken key file or a hostile policy document. The
# service still treats it as that input's fault (a 4xx, a refused deployment or reload, exit
# status 2), naming only the exception's class: its text may quote key material.
UNEXPECTED = (ValueError, TypeError, LookupError, ArithmeticError, RecursionError)


class ConfigError(ValueError):
    """The service cannot start with these settings; the message is one line."""


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    db: str = "jose-engine.db"
    keys: str | None = None
    environments: tuple[str, ...] = ("production",)
    tokens_file: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    # How often a process looks for deployments made by another process (seconds).
    refresh_interval: float = 0.5
    # Extra tokens given in code (tests, embedding); the environment and file add to them.
    tokens: tuple[str, ...] = field(default=(), repr=False)

    def to_env(self) -> str:
        out = asdict(self)
        out.pop("tokens")  # tokens never travel in the environment we set
        return orjson.dumps(out).decode()

    @classmethod
    def from_env(cls) -> ServiceConfig:
        raw = os.environ.get(CONFIG_ENV)
        if not raw:
            raise ConfigError(f"{CONFIG_ENV} is not set; start the service with "
                              "'jose-engine serve'")
        data = orjson.loads(raw)
        data["environments"] = tuple(data["environments"])
        return cls(**data)


def parse_environments(text: str) -> tuple[str, ...]:
    names: list[str] = []
    for name in (part.strip() for part in text.split(",")):
        if name and name not in names:
            names.append(name)
    if not names:
        raise ConfigError("--environments needs at least one environment name")
    return tuple(names)


def load_tokens(config: ServiceConfig) -> tuple[str, ...]:
    """API tokens from the config, ``JOSE_ENGINE_API_TOKENS`` (comma-separated) and the
    tokens file (one per line; blank lines and ``#`` comments skipped)."""
    tokens = list(config.tokens)
    tokens += [t.strip() for t in os.environ.get(TOKENS_ENV, "").split(",")]
    if config.tokens_file:
        try:
            text = Path(config.tokens_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise ConfigError(f"cannot read tokens file {config.tokens_file!r}: "
                              f"{reason}") from None
        tokens += [line.strip() for line in text.splitlines()
                   if not line.lstrip().startswith("#")]
    unique = tuple(dict.fromkeys(t for t in tokens if t))
    if not unique:
        raise ConfigError(f"no API tokens configured: set {TOKENS_ENV} (comma-separated) "
                          "or pass --tokens-file")
    return unique

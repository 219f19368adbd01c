"""Structured log lines: one JSON object per event, never a key, a token or a body."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson

logger = logging.getLogger("jose_engine.service")


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``name`` with ``fields`` as one JSON line (``{"event": name, ...}``)."""
    if not logger.isEnabledFor(level):
        return
    record = {"ts": round(time.time(), 3), "event": name}
    record.update((k, v) for k, v in fields.items() if v is not None)
    logger.log(level, "%s", orjson.dumps(record, default=str).decode())


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config`` dict for uvicorn: its own loggers plus ours, to stderr."""
    from uvicorn.config import LOGGING_CONFIG
    config: dict[str, Any] = {**LOGGING_CONFIG}
    config["formatters"] = {**LOGGING_CONFIG["formatters"],
                            "jose_engine": {"format": "%(message)s"}}
    config["handlers"] = {**LOGGING_CONFIG["handlers"],
                          "jose_engine": {"class": "logging.StreamHandler",
                                          "formatter": "jose_engine",
                                          "stream": "ext://sys.stderr"}}
    config["loggers"] = {**LOGGING_CONFIG["loggers"],
                         "jose_engine": {"handlers": ["jose_engine"], "level": level,
                                         "propagate": False}}
    return config

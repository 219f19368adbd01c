"""Structured log lines: one JSON object per event, never a key, a token or a body."""

from __future__ import annotations

import logging
import time
import traceback
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


_FRAMES = 12  # the innermost frames of a traceback that are kept


class OneLineErrors(logging.Formatter):
    """uvicorn's formatter, except that a record carrying an exception (uvicorn's "Exception
    in ASGI application" on a real 500) becomes one JSON line: logger, message, the
    exception's class and its innermost frames (``file:line function``). The exception's
    text is left out, as in every event here: it may quote a key, a token or a body."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None,
                 style: Any = "%", use_colors: bool | None = None):
        super().__init__(fmt, datefmt, style)
        from uvicorn.logging import DefaultFormatter
        self._plain = DefaultFormatter(fmt, datefmt, style, use_colors=use_colors)

    def format(self, record: logging.LogRecord) -> str:
        if not record.exc_info:
            return self._plain.format(record)
        exc_type, _, tb = record.exc_info
        frames = traceback.extract_tb(tb)[-_FRAMES:] if tb is not None else []
        line = {"ts": round(record.created, 3), "event": "exception", "logger": record.name,
                "level": record.levelname, "message": record.getMessage(),
                "error": exc_type.__name__ if exc_type is not None else None,
                "frames": [f"{f.filename}:{f.lineno} {f.name}" for f in frames]}
        return orjson.dumps(line, default=str).decode()


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config`` dict for uvicorn: its own loggers plus ours, to stderr.

    uvicorn's own lines keep their format; one with a traceback is one JSON line
    (:class:`OneLineErrors`).
    """
    from uvicorn.config import LOGGING_CONFIG
    config: dict[str, Any] = {**LOGGING_CONFIG}
    config["formatters"] = {**LOGGING_CONFIG["formatters"],
                            "default": {**LOGGING_CONFIG["formatters"]["default"],
                                        "()": f"{__name__}.OneLineErrors"},
                            "jose_engine": {"format": "%(message)s"}}
    config["handlers"] = {**LOGGING_CONFIG["handlers"],
                          "jose_engine": {"class": "logging.StreamHandler",
                                          "formatter": "jose_engine",
                                          "stream": "ext://sys.stderr"}}
    config["loggers"] = {**LOGGING_CONFIG["loggers"],
                         "jose_engine": {"handlers": ["jose_engine"], "level": level,
                                         "propagate": False}}
    return config

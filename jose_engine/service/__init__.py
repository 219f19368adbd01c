"""The management API as a service: policies stored in SQLite, deployed per environment.

``create_app(config)`` builds the Starlette application; ``jose-engine serve`` (see
:mod:`jose_engine.service.cli`) runs it under uvicorn.
"""

from __future__ import annotations

from .config import ServiceConfig

__all__ = ["ServiceConfig", "create_app"]


def create_app(config: ServiceConfig):  # type: ignore[no-untyped-def]
    """The Starlette application for ``config`` (imported lazily: starlette is optional)."""
    from .app import create_app as factory
    return factory(config)

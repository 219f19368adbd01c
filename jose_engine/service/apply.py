"""``/apply``: run an environment's deployed pipeline on a gateway message.

The gateway runtime (:mod:`jose_engine.runtime`) is imported on first use; a build without
it answers 501.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from types import ModuleType
from typing import Any

from ..enums import Pipeline
from ..errors import JoseEngineError
from ..fields import enum_value
from .deployed import DeployedProxy
from .http import ServiceError
from .metrics import Metrics


def load_runtime() -> ModuleType:
    try:
        from jose_engine import runtime
    except ImportError:
        raise ServiceError(501, "not_implemented", "the gateway runtime "
                           "(jose_engine.runtime) is not installed in this build") from None
    return runtime


def apply_chain(runtime: ModuleType, metrics: Metrics, env: str, deployed: DeployedProxy,
                query: Mapping[str, str], body: Any) -> dict[str, Any]:
    """Run every active policy of the chosen pipeline, in order, on the message ``body``."""
    try:
        pipeline = enum_value(query.get("pipeline", Pipeline.REQUEST.value), Pipeline,
                              "pipeline")
        message = runtime.message_from_json(body, "message")
    except JoseEngineError as exc:
        raise ServiceError.from_core(exc) from None
    # The gateway fills what it knows of the context; the caller's own values win.
    ctx = message.context
    message = replace(message, context=replace(
        ctx, environment_name=ctx.environment_name or env,
        project_name=ctx.project_name or deployed.project,
        api_proxy_name=ctx.api_proxy_name or deployed.proxy))
    applied = []
    for policy in deployed.chain(pipeline, message.method, message.path):
        compiled = policy.compiled
        assert compiled is not None
        start = time.perf_counter()
        try:
            message = runtime.apply_policy(compiled, message)
        except JoseEngineError as exc:
            raise ServiceError(400, exc.code, f"policy {policy.name!r}: {exc}",
                               exc.path) from None
        metrics.token((env, deployed.project, deployed.proxy, policy.name), compiled.alg,
                      compiled.enc, time.perf_counter() - start)
        applied.append(policy.name)
    return {"success": True, "pipeline": pipeline.value, "appliedPolicies": applied,
            "message": runtime.message_to_json(message)}

"""The management operations: list, add, update and delete a policy, and deploy the change.

A deployment publishes the proxy's whole saved config (every pipeline) to an environment,
as the gateway does; it succeeds only when every active policy compiles with the key set.
A failed deployment leaves that environment running what it ran before.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any

from ..enums import Pipeline, TargetScope
from ..errors import JoseEngineError, PolicyError
from ..fields import Members
from ..policy import OperationMetadata, Policy, parse_operation, parse_policy
from . import logs
from .config import UNEXPECTED
from .deployed import DeployedProxy, DeployError, Registry
from .http import ServiceError, not_found
from .metrics import Metrics
from .model import (
    PIPELINE_LISTS,
    Placement,
    ProxyConfig,
    StoredPolicy,
    with_added,
    with_replaced,
    without,
)
from .storage import Edit, Storage, StorageUnavailable

_OK = "Deployment successful"
# A delete without a body deploys to every configured environment (the seed's defaults).
_DEFAULT_DELETE = OperationMetadata(TargetScope.ALL, Pipeline.REQUEST)
_MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class Change:
    """A parsed Add/Update body: the policy (named after the URL) and its metadata."""

    policy: Policy
    operation: OperationMetadata
    warnings: tuple[str, ...] = ()


def check_name(value: str, field: str) -> str:
    if not value or len(value) > _MAX_NAME or not value.isprintable():
        raise ServiceError(400, "invalid_name", f"expected 1 to {_MAX_NAME} printable "
                           "characters", field)
    return value


def parse_change(body: Any, name: str) -> Change:
    """Read an Add/Update body; errors name the field (``policy.issuer``).

    Besides the policy loader's checks, the gateway runtime's (when installed) run here:
    every JSONPath and XPath compiles and a ``headerName`` is an HTTP field name, so a policy
    that could never run is refused with 400 and never stored.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            m = Members(body, "")
            op_json = m.raw("operationMetadata")
            if op_json is None:
                raise PolicyError("is required", path="operationMetadata")
            operation = parse_operation(op_json, "operationMetadata")
            policy = parse_policy(m.raw("policy"), "policy")
            m.refuse_unknown()
        except JoseEngineError:
            raise
        except UNEXPECTED as exc:  # its text is not ours to echo
            raise PolicyError(f"cannot be read ({type(exc).__name__})", path="policy") from None
    if policy.name is not None and policy.name != name:
        raise PolicyError(f"differs from the policy name in the URL ({name!r})",
                          path="policy.name")
    check_for_runtime(policy)
    return Change(replace(policy, name=name), operation,
                  tuple(str(w.message) for w in caught))


def check_for_runtime(policy: Policy) -> None:
    """The runtime's checks of ``policy``'s variables; nothing when it is not installed."""
    try:
        from ..runtime import check_policy
    except ImportError:
        return
    check_policy(policy)


def parse_delete(body: Any) -> OperationMetadata:
    if body is None:
        return _DEFAULT_DELETE
    m = Members(body, "")
    op_json = m.raw("operationMetadata")
    m.refuse_unknown()
    if op_json is None:
        return _DEFAULT_DELETE
    try:
        return parse_operation(op_json, "operationMetadata")
    except JoseEngineError:
        raise
    except UNEXPECTED as exc:  # its text is not ours to echo
        raise PolicyError(f"cannot be read ({type(exc).__name__})",
                          path="operationMetadata") from None


def listing(config: ProxyConfig) -> dict[str, Any]:
    """The seed's List Policies response for one proxy."""
    proxy: dict[str, Any] = {"name": config.proxy}
    proxy.update(_pipelines(config, Placement(p)) for p in Pipeline)
    endpoints = [pl for pl in config.placements() if pl.scope is TargetScope.ENDPOINT]
    seen: list[tuple[str | None, Any]] = []
    for pl in endpoints:
        if (pl.endpoint, pl.method) not in seen:
            seen.append((pl.endpoint, pl.method))
    if seen:
        proxy["endpointList"] = [
            {"path": path, "httpMethod": method.value if method else None,
             **dict(_pipelines(config, Placement(p, TargetScope.ENDPOINT, path, method))
                    for p in Pipeline)}
            for path, method in seen]
    return {"success": True, "resultList": [{"apiProxy": proxy}], "resultCount": 1}


def _pipelines(config: ProxyConfig, placement: Placement) -> tuple[str, list[Any]]:
    return (PIPELINE_LISTS[placement.pipeline],
            [dict(p.document) for p in config.pipeline(placement)])


class PolicyManager:
    def __init__(self, storage: Storage, registry: Registry, metrics: Metrics):
        self.storage = storage
        self.registry = registry
        self.metrics = metrics

    def list_policies(self, project: str, proxy: str) -> dict[str, Any]:
        config = self.storage.load_proxy(project, proxy)
        if config is None:
            raise not_found(f"no API proxy {proxy!r} in project {project!r}")
        return listing(config)

    def add(self, project: str, proxy: str, name: str, body: Any) -> dict[str, Any]:
        change = self._parse(body, name)
        entry = _entry(name, change)

        def edit(current: ProxyConfig | None) -> ProxyConfig:
            if current is None:  # projects and proxies are created by their first policy
                current = ProxyConfig(project, proxy, 0)
            elif current.find(name) is not None:
                raise ServiceError(409, "conflict", f"policy {name!r} already exists in "
                                   f"{project}/{proxy}; use PUT to update it")
            return with_added(current, entry, change.operation.order)
        return self._change("add", project, proxy, name, change.operation, edit,
                            change.warnings)

    def update(self, project: str, proxy: str, name: str, body: Any) -> dict[str, Any]:
        change = self._parse(body, name)
        entry = _entry(name, change)

        def edit(current: ProxyConfig | None) -> ProxyConfig:
            if current is None or current.find(name) is None:
                raise _no_policy(project, proxy, name, current)
            return with_replaced(current, entry, change.operation.order)
        return self._change("update", project, proxy, name, change.operation, edit,
                            change.warnings)

    def delete(self, project: str, proxy: str, name: str, body: Any) -> dict[str, Any]:
        operation = parse_delete(body)

        def edit(current: ProxyConfig | None) -> ProxyConfig:
            if current is None or current.find(name) is None:
                raise _no_policy(project, proxy, name, current)
            return without(current, name)
        return self._change("delete", project, proxy, name, operation, edit, ())

    def _parse(self, body: Any, name: str) -> Change:
        # Under the registry lock: catch_warnings is process-wide, so one thread at a time.
        with self.registry.lock:
            return parse_change(body, name)

    # -- the one transaction of a change -------------------------------------------------

    def _change(self, action: str, project: str, proxy: str, name: str,
                operation: OperationMetadata, edit_config: Any,
                notes: tuple[str, ...]) -> dict[str, Any]:
        results: list[dict[str, Any]] = []
        compiled: list[DeployedProxy] = []

        def edit(current: ProxyConfig | None) -> Edit:
            results.clear()
            compiled.clear()
            config = edit_config(current)
            deploy_to = self._plan(config, operation, results, compiled)
            return Edit(config, deploy_to)

        with self.registry.lock:
            done = self.storage.change_proxy(project, proxy, edit)
            if done.deploy_to:
                try:
                    self.registry.refresh(force=True)
                except StorageUnavailable as exc:  # stored; the next runtime request catches up
                    logs.event("refresh_failed", error=type(exc).__name__, detail=str(exc))
        self._log(action, done.config, name, results, compiled)
        body: dict[str, Any] = {
            "success": True,
            "deploymentResult": {"success": all(r["success"] for r in results),
                                 "deploymentResults": results}}
        if notes:
            body["warnings"] = list(notes)
        return body

    def _plan(self, config: ProxyConfig, operation: OperationMetadata,
              results: list[dict[str, Any]], compiled: list[DeployedProxy]) -> tuple[str, ...]:
        if not operation.deploy:
            return ()
        configured = self.registry.environments
        targets = dict.fromkeys(operation.deploy_environments or configured)
        failure: DeployError | None = None
        deploy_to = []
        for env in targets:
            if env not in configured:
                results.append(_result(env, False, f"unknown environment {env!r}; configured: "
                                       f"{', '.join(configured)}", "unknown_environment"))
                continue
            if not compiled and failure is None:
                try:
                    compiled.append(self.registry.compile(config))
                except DeployError as exc:
                    failure = exc
            if failure is not None:
                results.append(_result(env, False, f"not deployed: {failure}; the environment "
                                       "keeps its running version", failure.code,
                                       failure.path))
            else:
                results.append(_result(env, True, _OK))
                deploy_to.append(env)
        return tuple(deploy_to)

    def _log(self, action: str, config: ProxyConfig, name: str,
             results: list[dict[str, Any]], compiled: list[DeployedProxy]) -> None:
        logs.event("policy_change", action=action, project=config.project,
                   proxy=config.proxy, policy=name, revision=config.revision, outcome="stored")
        target = compiled[0].get(name) if compiled else None
        alg = enc = None
        if target is not None and target.compiled is not None:
            alg, enc = target.compiled.alg, target.compiled.enc
        for r in results:
            outcome = "ok" if r["success"] else "failed"
            self.metrics.deployments.labels(r["environmentName"], outcome).inc()
            logs.event("deployment", environment=r["environmentName"],
                       project=config.project, proxy=config.proxy, policy=name,
                       revision=config.revision, alg=alg, enc=enc, outcome=outcome,
                       code=r.get("code"), message=None if r["success"] else r["message"])


def _entry(name: str, change: Change) -> StoredPolicy:
    return StoredPolicy(name, Placement.of(change.operation), change.policy.to_json())


def _no_policy(project: str, proxy: str, name: str,
               current: ProxyConfig | None) -> ServiceError:
    if current is None:
        return not_found(f"no API proxy {proxy!r} in project {project!r}")
    return not_found(f"no policy {name!r} in {project}/{proxy}")


def _result(env: str, ok: bool, message: str, code: str | None = None,
            field: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"environmentName": env, "success": ok, "message": message}
    if not ok:
        out["code"] = code
        out["field"] = field
    return out


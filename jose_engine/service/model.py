"""What the service stores: a proxy's policies, each placed in one ordered pipeline.

A *placement* is the pipeline a policy runs in (``REQUEST``, ``RESPONSE``, ``ERROR``) for
either every endpoint (``ALL``) or one endpoint and method. Policy names are unique within a
proxy, whatever their placement. All objects are immutable; an edit builds a new config.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..enums import HttpMethod, Pipeline, TargetScope
from ..policy import OperationMetadata

PIPELINE_LISTS = {Pipeline.REQUEST: "requestPolicyList", Pipeline.RESPONSE: "responsePolicyList",
                  Pipeline.ERROR: "errorPolicyList"}


@dataclass(frozen=True, slots=True)
class Placement:
    """One ordered pipeline of a proxy."""

    pipeline: Pipeline
    scope: TargetScope = TargetScope.ALL
    endpoint: str | None = None
    method: HttpMethod | None = None

    @classmethod
    def of(cls, op: OperationMetadata) -> Placement:
        if op.target_scope is TargetScope.ALL:
            return cls(op.target_pipeline)
        return cls(op.target_pipeline, TargetScope.ENDPOINT, op.target_endpoint,
                   op.target_endpoint_method)

    def sort_key(self) -> tuple[int, str, str, int]:
        """Proxy-wide pipelines first, then endpoints by path and method."""
        return (0 if self.scope is TargetScope.ALL else 1, self.endpoint or "",
                self.method.value if self.method else "", list(Pipeline).index(self.pipeline))

    def to_json(self) -> dict[str, Any]:
        return {"targetScope": self.scope.value, "targetPipeline": self.pipeline.value,
                "targetEndpoint": self.endpoint,
                "targetEndpointHTTPMethod": self.method.value if self.method else None}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Placement:
        method = obj.get("targetEndpointHTTPMethod")
        return cls(Pipeline(obj["targetPipeline"]), TargetScope(obj["targetScope"]),
                   obj.get("targetEndpoint"), HttpMethod(method) if method else None)


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    """A policy as stored: its name, placement and the policy JSON (``Policy.to_json()``)."""

    name: str
    placement: Placement
    document: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "placement": self.placement.to_json(),
                "policy": dict(self.document)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> StoredPolicy:
        return cls(obj["name"], Placement.from_json(obj["placement"]), obj["policy"])


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    """Every policy of one API proxy at one revision, each pipeline in execution order."""

    project: str
    proxy: str
    revision: int
    policies: tuple[StoredPolicy, ...] = ()

    def find(self, name: str) -> StoredPolicy | None:
        return next((p for p in self.policies if p.name == name), None)

    def pipeline(self, placement: Placement) -> tuple[StoredPolicy, ...]:
        return tuple(p for p in self.policies if p.placement == placement)

    def placements(self) -> Iterator[Placement]:
        seen: list[Placement] = []
        for p in self.policies:
            if p.placement not in seen:
                seen.append(p.placement)
        yield from sorted(seen, key=Placement.sort_key)

    def snapshot_json(self) -> list[dict[str, Any]]:
        return [p.to_json() for p in self.policies]


def _rebuild(config: ProxyConfig, groups: dict[Placement, list[StoredPolicy]]) -> ProxyConfig:
    ordered = sorted(groups, key=Placement.sort_key)
    flat = tuple(p for placement in ordered for p in groups[placement])
    return replace(config, revision=config.revision + 1, policies=flat)


def _groups(config: ProxyConfig) -> dict[Placement, list[StoredPolicy]]:
    return {placement: list(config.pipeline(placement)) for placement in config.placements()}


def _insert(group: list[StoredPolicy], entry: StoredPolicy, order: int | None) -> None:
    # order counts from 1; no order, or one past the end, appends.
    index = len(group) if order is None else min(order - 1, len(group))
    group.insert(index, entry)


def with_added(config: ProxyConfig, entry: StoredPolicy, order: int | None) -> ProxyConfig:
    """``config`` plus ``entry`` at ``order`` in its pipeline; later policies shift down."""
    groups = _groups(config)
    _insert(groups.setdefault(entry.placement, []), entry, order)
    return _rebuild(config, groups)


def with_replaced(config: ProxyConfig, entry: StoredPolicy, order: int | None) -> ProxyConfig:
    """``config`` with the policy named ``entry.name`` replaced by ``entry``.

    Without ``order`` the policy keeps its position when its pipeline is unchanged and is
    appended to its new pipeline otherwise.
    """
    old = config.find(entry.name)
    assert old is not None
    groups = _groups(config)
    group = groups[old.placement]
    index = next(i for i, p in enumerate(group) if p.name == entry.name)
    if order is None and old.placement == entry.placement:
        group[index] = entry
        return _rebuild(config, groups)
    del group[index]
    _insert(groups.setdefault(entry.placement, []), entry, order)
    return _rebuild(config, {k: v for k, v in groups.items() if v})


def without(config: ProxyConfig, name: str) -> ProxyConfig:
    """``config`` without the policy ``name``."""
    return _rebuild(config, {k: [p for p in v if p.name != name]
                             for k, v in _groups(config).items()})

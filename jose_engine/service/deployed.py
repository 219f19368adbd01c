"""What runs: each environment's deployed proxies, compiled, in one immutable snapshot.

Requests read ``Registry.snapshot`` once and use it to the end, so swapping in a new
snapshot (a deployment, a key reload, another process's change) never disturbs a request
in flight. Each process polls the database counters at most every ``refresh_interval``.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool

from ..compiled import CompiledPolicy, compile_policy
from ..enums import Pipeline, TargetScope
from ..errors import JoseEngineError, KeySetError, PolicyError
from ..keys import KeySet, load_keyset
from ..policy import Policy, parse_policy
from . import logs
from .config import UNEXPECTED
from .model import Placement, ProxyConfig
from .storage import Counters, DeploymentRef, Storage, StorageUnavailable

Where = tuple[str, str, str]  # (environment, project, proxy)
_EMPTY_KEYS: dict[str, Any] = {"keys": []}


class DeployError(JoseEngineError):
    """A proxy config cannot run with the service's key set; names the policy at fault."""

    def __init__(self, policy: str, cause: JoseEngineError):
        self.code = cause.code
        self.policy = policy
        super().__init__(f"policy {policy!r}: {cause}", path=cause.path, kid=cause.kid)

    def _render(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class DeployedPolicy:
    name: str
    placement: Placement
    policy: Policy
    compiled: CompiledPolicy | None  # None: inactive, never run


@dataclass(frozen=True, slots=True)
class DeployedProxy:
    project: str
    proxy: str
    revision: int
    policies: tuple[DeployedPolicy, ...]

    def get(self, name: str) -> DeployedPolicy | None:
        return next((p for p in self.policies if p.name == name), None)

    def chain(self, pipeline: Pipeline, method: str, path: str) -> tuple[DeployedPolicy, ...]:
        """The active policies a message meets: proxy-wide ones first, then the endpoint's."""
        general = [p for p in self.policies
                   if p.placement.scope is TargetScope.ALL and p.placement.pipeline is pipeline]
        specific = [p for p in self.policies
                    if p.placement.scope is TargetScope.ENDPOINT
                    and p.placement.pipeline is pipeline
                    and p.placement.method is not None and p.placement.method.value == method
                    and endpoint_matches(p.placement.endpoint or "", path)]
        return tuple(p for p in general + specific if p.compiled is not None)


def endpoint_matches(template: str, path: str) -> bool:
    """``/users/{id}`` matches ``/users/42``; other segments compare exactly."""
    want = template.strip("/").split("/")
    got = path.split("?", 1)[0].strip("/").split("/")
    if len(want) != len(got):
        return False
    return all(w == g or (w.startswith("{") and w.endswith("}") and g)
               for w, g in zip(want, got))


@dataclass(frozen=True, slots=True)
class Snapshot:
    keys: KeySet
    counters: Counters
    proxies: Mapping[Where, DeployedProxy] = field(default_factory=dict)
    broken: Mapping[Where, str] = field(default_factory=dict)  # deployed, but cannot run


Compiled = tuple[Policy, CompiledPolicy | None]
_CACHE_LIMIT = 4096


def compile_config(config: ProxyConfig, keys: KeySet,
                   cache: dict[bytes, Compiled] | None = None) -> DeployedProxy:
    """Compile every active policy of ``config``; the first failure is a :class:`DeployError`.

    ``cache`` (for one key set) maps a policy document to its compiled form, so a deployment
    recompiles only the policies that changed.
    """
    cache = {} if cache is None else cache
    if len(cache) > _CACHE_LIMIT:
        cache.clear()
    out = []
    for stored in config.policies:
        doc_key = orjson.dumps(stored.document, option=orjson.OPT_SORT_KEYS)
        found = cache.get(doc_key)
        if found is None:
            stage = "read"
            try:
                policy = parse_policy(dict(stored.document), "policy")
                stage = "compiled with the service's key set"
                found = (policy, _compile(policy, keys) if policy.active else None)
            except JoseEngineError as exc:
                raise DeployError(stored.name, exc) from None
            except UNEXPECTED as exc:
                why = f"cannot be {stage} ({type(exc).__name__})"
                cause = (PolicyError(why, path="policy") if stage == "read" else
                         KeySetError(f"{why}; check the keys it names", path="policy"))
                raise DeployError(stored.name, cause) from None
            cache[doc_key] = found
        out.append(DeployedPolicy(stored.name, stored.placement, *found))
    return DeployedProxy(config.project, config.proxy, config.revision, tuple(out))


def _compile(policy: Policy, keys: KeySet) -> CompiledPolicy:
    """Compile, then prepare for the gateway runtime (JSONPath, XPath, header names)."""
    compiled = compile_policy(policy, keys)
    try:
        from ..runtime import prepare
    except ImportError:  # a build without the runtime: /apply answers 501 anyway
        return compiled
    prepare(compiled)
    return compiled


class ReloadRefused(JoseEngineError):
    code = "reload_refused"


class Registry:
    """Builds and swaps snapshots; every compile in this process happens under one lock.

    Compiled policies are cached by their document (for the current key set), so a
    deployment, or a refresh after another process's deployment, recompiles only what changed.
    """

    def __init__(self, storage: Storage, keys_path: str | None,
                 environments: tuple[str, ...], refresh_interval: float = 0.5):
        self.storage = storage
        self.keys_path = keys_path
        self.environments = environments
        self.refresh_interval = refresh_interval
        # Held while compiling or swapping; also makes warnings.catch_warnings safe to use.
        self.lock = threading.RLock()
        self._compiled: dict[bytes, Compiled] = {}  # for the current key set only
        self._next_check = 0.0
        self._checking = False
        self.snapshot = Snapshot(self.read_keys(), Counters(-1, -1))
        self.refresh()

    def read_keys(self) -> KeySet:
        """The key set from ``--keys``; any failure is a JoseEngineError (a KeySetError naming
        only the class of an error the core did not raise on purpose)."""
        try:
            return load_keyset(self.keys_path if self.keys_path else _EMPTY_KEYS)
        except JoseEngineError:
            raise
        except UNEXPECTED as exc:
            raise KeySetError(f"cannot load the key set {self.keys_path!r} "
                              f"({type(exc).__name__})") from None

    # -- compiling -----------------------------------------------------------------------

    def compile(self, config: ProxyConfig) -> DeployedProxy:
        """Compile ``config`` with the current keys; unchanged policies come from the cache."""
        with self.lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # already reported when the policy was saved
            return compile_config(config, self.snapshot.keys, self._compiled)

    # -- refreshing ----------------------------------------------------------------------

    async def ensure_fresh(self) -> None:
        """Pick up other processes' deployments; reads the database at most every interval."""
        now = time.monotonic()
        if now < self._next_check or self._checking:
            return
        self._checking = True
        try:
            await run_in_threadpool(self.refresh)
        except StorageUnavailable as exc:  # keep serving what runs; the next check retries
            logs.event("refresh_failed", error=type(exc).__name__, detail=str(exc))
        finally:
            self._next_check = time.monotonic() + self.refresh_interval
            self._checking = False

    def refresh(self, *, force: bool = False) -> None:
        with self.lock:
            old = self.snapshot
            counters = self.storage.counters()
            if counters == old.counters and not force:
                return
            keys = old.keys
            if counters.keys != old.counters.keys and old.counters.keys >= 0:
                keys = self._reread_keys(old.keys)
            proxies, broken = self._build(old, keys, self.storage.deployment_refs())
            self.snapshot = Snapshot(keys, counters, MappingProxyType(proxies),
                                     MappingProxyType(broken))

    def _reread_keys(self, current: KeySet) -> KeySet:
        try:
            keys = self.read_keys()
        except JoseEngineError as exc:  # keep serving with the keys we have
            logs.event("keys_reload", outcome="failed", message=str(exc))
            return current
        self._compiled = {}
        logs.event("keys_reload", outcome="ok", keys=len(keys.keys), source="other_process")
        return keys

    def _build(self, old: Snapshot, keys: KeySet,
               refs: list[DeploymentRef]) -> tuple[dict[Where, DeployedProxy], dict[Where, str]]:
        proxies: dict[Where, DeployedProxy] = {}
        broken: dict[Where, str] = {}
        for ref in refs:
            where = (ref.environment, ref.project, ref.proxy)
            if ref.environment not in self.environments:
                continue  # deployed while configured; not served by this process
            current = old.proxies.get(where)
            if current is not None and current.revision == ref.revision and keys is old.keys:
                proxies[where] = current
                continue
            config = self.storage.load_deployment(ref)
            if config is None:  # redeployed since the refs were read; the next check sees it
                if current is not None:
                    proxies[where] = current
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    proxies[where] = compile_config(config, keys, self._compiled)
            except DeployError as exc:
                logs.event("deployment_load", environment=ref.environment,
                           project=ref.project, proxy=ref.proxy, revision=ref.revision,
                           outcome="failed", code=exc.code, message=str(exc))
                if current is not None:
                    proxies[where] = current
                else:
                    broken[where] = str(exc)
        return proxies, broken

    # -- key reload ----------------------------------------------------------------------

    def reload_keys(self) -> dict[str, int]:
        """Re-read the key file and recompile every deployment, all or nothing.

        Refused (old keys kept) when the file is bad or a deployed policy cannot run with it.
        """
        with self.lock:
            keys = self.read_keys()
            before = self.storage.counters()
            refs = [r for r in self.storage.deployment_refs()
                    if r.environment in self.environments]
            proxies: dict[Where, DeployedProxy] = {}
            compiled: dict[tuple[str, str, int], DeployedProxy] = {}
            cache: dict[bytes, Compiled] = {}
            for ref in refs:
                config = self.storage.load_deployment(ref)
                if config is None:
                    continue
                key = (ref.project, ref.proxy, ref.revision)
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        if key not in compiled:
                            compiled[key] = compile_config(config, keys, cache)
                except DeployError as exc:
                    raise ReloadRefused(
                        f"the new key set cannot run {ref.project}/{ref.proxy} in "
                        f"{ref.environment}: {exc}; the old key set stays") from None
                proxies[(ref.environment, ref.project, ref.proxy)] = compiled[key]
            after = self.storage.bump_keys()
            self._compiled = cache
            self.snapshot = Snapshot(keys, Counters(before.deployments, after.keys),
                                     MappingProxyType(proxies), MappingProxyType({}))
            return {"keys": len(keys.keys), "deployments": len(proxies)}

"""The Starlette application: management API, token endpoint, JWKS, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import JoseEngineError
from ..fields import Members
from . import logs
from .auth import Authenticator
from .config import ServiceConfig, load_tokens
from .deployed import DeployedPolicy, DeployedProxy, Registry
from .http import ServiceError, json_response, not_found, read_json
from .manager import PolicyManager, check_name
from .metrics import Metrics
from .openapi import openapi_document
from .storage import SQLiteStorage, Storage, StorageUnavailable

POLICIES = "/apiops/projects/{projectName}/apiProxies/{apiProxyName}/policies"
RUNTIME = "/runtime/{environmentName}/projects/{projectName}/apiProxies/{apiProxyName}"
_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found",
                 405: "method_not_allowed", 413: "payload_too_large"}


class Service:
    """The handlers and the state they share (storage, registry, metrics, tokens)."""

    def __init__(self, config: ServiceConfig, storage: Storage | None = None):
        self.config = config
        self.auth = Authenticator(load_tokens(config))
        self.storage = storage or SQLiteStorage(config.db)
        self.registry = Registry(self.storage, config.keys, config.environments,
                                 config.refresh_interval)
        self.metrics = Metrics()
        self.manager = PolicyManager(self.storage, self.registry, self.metrics)
        self._jwks: tuple[object, bytes] | None = None

    def authorize(self, request: Request) -> None:
        if not self.auth.allows(request.headers.get("authorization")):
            raise ServiceError(401, "unauthorized", "a valid 'Authorization: Bearer <token>' "
                               "header is required", headers={"WWW-Authenticate": "Bearer"})

    # -- management ----------------------------------------------------------------------

    async def list_policies(self, request: Request) -> Response:
        self.authorize(request)
        project, proxy = _names(request)
        return json_response(await run_in_threadpool(self.manager.list_policies, project, proxy))

    async def add_policy(self, request: Request) -> Response:
        return await self._change(request, self.manager.add)

    async def update_policy(self, request: Request) -> Response:
        return await self._change(request, self.manager.update)

    async def delete_policy(self, request: Request) -> Response:
        return await self._change(request, self.manager.delete, optional=True)

    async def _change(self, request: Request, action: Callable[..., dict[str, Any]], *,
                      optional: bool = False) -> Response:
        self.authorize(request)
        project, proxy = _names(request)
        name = check_name(request.path_params["policyName"], "policyName")
        body = await read_json(request, self.config.max_body, optional=optional)
        return json_response(await run_in_threadpool(action, project, proxy, name, body))

    async def reload(self, request: Request) -> Response:
        self.authorize(request)
        try:
            done = await run_in_threadpool(self.registry.reload_keys)
        except JoseEngineError as exc:
            logs.event("keys_reload", outcome="refused", code=exc.code, message=str(exc))
            raise ServiceError.from_core(exc, 409) from None
        logs.event("keys_reload", outcome="ok", **done)
        return json_response({"success": True, **done})

    # -- runtime -------------------------------------------------------------------------

    async def mint(self, request: Request) -> Response:
        self.authorize(request)
        env, deployed = await self._deployed(request)
        name = request.path_params["policyName"]
        policy = deployed.get(name)
        if policy is None:
            raise not_found(f"no policy {name!r} in the version of {deployed.project}/"
                            f"{deployed.proxy} deployed in {env!r}")
        if policy.compiled is None:
            raise ServiceError(409, "policy_inactive", f"policy {name!r} is not active")
        data, credential = _token_request(
            await read_json(request, self.config.max_body, optional=True))
        token = await run_in_threadpool(self._mint, env, deployed, policy, data, credential)
        return json_response({"success": True, "token": token})

    def _mint(self, env: str, deployed: DeployedProxy, policy: DeployedPolicy, data: Any,
              credential: str | None) -> str:
        compiled = policy.compiled
        assert compiled is not None
        start = time.perf_counter()
        token = compiled.mint(data, credential=credential)
        self.metrics.token((env, deployed.project, deployed.proxy, policy.name), compiled.alg,
                           compiled.enc, time.perf_counter() - start)
        return token

    async def apply(self, request: Request) -> Response:
        self.authorize(request)
        env, deployed = await self._deployed(request)
        from .apply import apply_chain, load_runtime  # the gateway runtime is optional
        runtime = load_runtime()
        body = await read_json(request, self.config.max_body)
        result = await run_in_threadpool(apply_chain, runtime, self.metrics, env, deployed,
                                         request.query_params, body)
        return json_response(result)

    async def _deployed(self, request: Request) -> tuple[str, DeployedProxy]:
        env = request.path_params["environmentName"]
        project, proxy = _names(request)
        if env not in self.registry.environments:
            raise not_found(f"unknown environment {env!r}; configured: "
                            f"{', '.join(self.registry.environments)}")
        await self.registry.ensure_fresh()
        snapshot = self.registry.snapshot
        where = (env, project, proxy)
        deployed = snapshot.proxies.get(where)
        if deployed is None:
            if where in snapshot.broken:
                raise ServiceError(503, "deployment_unavailable", snapshot.broken[where])
            raise not_found(f"API proxy {project}/{proxy} is not deployed in {env!r}")
        return env, deployed

    # -- public --------------------------------------------------------------------------

    async def jwks(self, request: Request) -> Response:
        await self.registry.ensure_fresh()  # a reload through another worker
        keys = self.registry.snapshot.keys
        if self._jwks is None or self._jwks[0] is not keys:
            import orjson
            self._jwks = (keys, orjson.dumps(keys.public_jwks()))
        return Response(self._jwks[1], media_type="application/jwk-set+json",
                        headers={"Cache-Control": "public, max-age=60"})

    async def healthz(self, request: Request) -> Response:
        counters = await run_in_threadpool(self.storage.counters)
        return json_response({"success": True, "status": "ok", "pid": os.getpid(),
                              "deploymentGeneration": counters.deployments})

    async def metrics_text(self, request: Request) -> Response:
        return Response(self.metrics.render(), media_type=self.metrics.content_type)

    async def openapi(self, request: Request) -> Response:
        return json_response(openapi_document())


def _names(request: Request) -> tuple[str, str]:
    return (check_name(request.path_params["projectName"], "projectName"),
            check_name(request.path_params["apiProxyName"], "apiProxyName"))


def _token_request(body: Any) -> tuple[Any, str | None]:
    if body is None:
        return None, None
    try:
        m = Members(body, "body")
        data = m.raw("data")
        credential = m.string("credential")
        m.refuse_unknown()
    except JoseEngineError as exc:
        # A token request is not a policy: same message and field, its own code.
        raise ServiceError(400, "invalid_request", f"{exc} (expected data, credential)",
                           exc.path) from None
    return data, credential


def _both(path: str, endpoint: Callable[[Request], Awaitable[Response]],
          methods: list[str]) -> list[BaseRoute]:
    """The seed's paths end with '/'; the same path without it is accepted too (no redirect)."""
    return [Route(path + "/", endpoint, methods=methods),
            Route(path, endpoint, methods=methods)]


def routes(s: Service) -> list[BaseRoute]:
    policy = POLICIES + "/{policyName}"
    return [
        *_both(POLICIES, s.list_policies, ["GET"]),
        *_both(policy, s.add_policy, ["POST"]),
        *_both(policy, s.update_policy, ["PUT"]),
        *_both(policy, s.delete_policy, ["DELETE"]),
        Route(RUNTIME + "/policies/{policyName}/tokens", s.mint, methods=["POST"]),
        Route(RUNTIME + "/apply", s.apply, methods=["POST"]),
        Route("/admin/reload", s.reload, methods=["POST"]),
        Route("/.well-known/jwks.json", s.jwks, methods=["GET"]),
        Route("/healthz", s.healthz, methods=["GET"]),
        Route("/metrics", s.metrics_text, methods=["GET"]),
        Route("/openapi.json", s.openapi, methods=["GET"]),
    ]


# -- errors ------------------------------------------------------------------------------

def _error_handlers(s: Service) -> dict[Any, Any]:
    def answer(err: ServiceError) -> Response:
        s.metrics.error(err.code)
        return json_response(err.body(), err.status, err.headers)

    async def service_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError)
        return answer(exc)

    async def core_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, JoseEngineError)
        return answer(ServiceError.from_core(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = "no such endpoint" if exc.status_code == 404 else str(exc.detail)
        return answer(ServiceError(exc.status_code, code, message,
                                   headers=dict(exc.headers or {})))

    async def storage_error(request: Request, exc: Exception) -> Response:
        logs.event("storage_error", logging.ERROR, method=request.method,
                   path=request.url.path, error=type(exc).__name__, detail=str(exc))
        return answer(ServiceError(503, "storage_unavailable", "the database is unavailable; "
                                   "try again", headers={"Retry-After": "1"}))

    async def bug(request: Request, exc: Exception) -> Response:
        logs.event("internal_error", logging.ERROR, method=request.method,
                   path=request.url.path, error=type(exc).__name__)
        s.metrics.error("internal_error")
        return json_response({"success": False, "code": "internal_error",
                              "message": "internal error", "field": None}, 500)

    return {ServiceError: service_error, JoseEngineError: core_error,
            HTTPException: http_error, StorageUnavailable: storage_error, Exception: bug}


class RequestLog:
    """One structured line per request: method, path, status, duration. No headers, no body."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)
        try:
            await self.app(scope, receive, send_status)
        finally:
            client = scope.get("client")
            logs.event("request", method=scope["method"], path=scope["path"], status=status,
                       ms=round((time.perf_counter() - start) * 1000, 2),
                       client=client[0] if client else None)


# -- the application ---------------------------------------------------------------------

def create_app(config: ServiceConfig, storage: Storage | None = None) -> Starlette:
    """The application for ``config``; raises ConfigError, KeySetError or StorageError."""
    service = Service(config, storage)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        hup = getattr(signal, "SIGHUP", None)
        installed = False
        if hup is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                tasks: set[asyncio.Task[None]] = set()  # held, so a reload is not collected

                def on_hup() -> None:
                    task = loop.create_task(_on_hup(service))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                loop.add_signal_handler(hup, on_hup)
                installed = True
        logs.event("service_start", environments=list(config.environments), db=config.db,
                   keys=len(service.registry.snapshot.keys.keys))
        try:
            yield
        finally:
            if installed and hup is not None:
                loop.remove_signal_handler(hup)

    app = Starlette(routes=routes(service), middleware=[Middleware(RequestLog)],
                    exception_handlers=_error_handlers(service), lifespan=lifespan)
    app.state.service = service
    return app


async def _on_hup(service: Service) -> None:
    try:
        done = await run_in_threadpool(service.registry.reload_keys)
    except JoseEngineError as exc:
        logs.event("keys_reload", logging.ERROR, outcome="refused", trigger="SIGHUP",
                   code=exc.code, message=str(exc))
        return
    logs.event("keys_reload", outcome="ok", trigger="SIGHUP", **done)


def app_from_environment() -> Starlette:
    """The uvicorn factory used by ``jose-engine serve`` (settings in the environment)."""
    return create_app(ServiceConfig.from_env())

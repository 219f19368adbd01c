"""Helpers for the service tests (no tests here): a real server in a subprocess, the seed's
example bodies, and token verification with independent libraries."""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Self

import httpx
import jwt
from joserfc import jwe
from joserfc.jwk import import_key

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
KEYS = EXAMPLES / "keys.json"
TOKEN = "service-test-token"
PROJECT, PROXY = "MyProject", "MyAPI"
POLICIES = f"/apiops/projects/{PROJECT}/apiProxies/{PROXY}/policies/"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}
START_TIMEOUT = 20.0


def seed_bodies() -> dict[str, dict[str, Any]]:
    """The seed's five Add bodies (examples/policies), by file stem."""
    return {p.stem: json.loads(p.read_text())
            for p in sorted((EXAMPLES / "policies").glob("*.json"))}


def body(name: str, *, envs: list[str] | None = None, deploy: bool = True,
         order: int | None = None, **policy: Any) -> dict[str, Any]:
    """A seed body with its deployment and policy members changed."""
    out = copy.deepcopy(seed_bodies()[name])
    op = out["operationMetadata"]
    op["deploy"] = deploy
    op["deployTargetEnvironmentNameList"] = envs if envs is not None else ["production"]
    if order is None:
        op.pop("order", None)
    else:
        op["order"] = order
    out["policy"].update(policy)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``python -m jose_engine.service serve`` on a free port, with a bounded start."""

    def __init__(self, tmp: Path, *, db: Path | None = None, keys: Path = KEYS,
                 environments: str = "production,test", workers: int = 1,
                 max_body: int | None = None, env: dict[str, str] | None = None):
        self.tmp = tmp
        self.db = db or tmp / "service.db"
        self.keys = keys
        self.environments = environments
        self.workers = workers
        self.max_body = max_body
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log = tmp / f"server-{id(self)}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10.0)

    def start(self) -> Self:
        self.port = free_port()
        cmd = [sys.executable, "-m", "jose_engine.service", "serve", "--port", str(self.port),
               "--db", str(self.db), "--keys", str(self.keys),
               "--environments", self.environments, "--workers", str(self.workers),
               "--log-level", "warning"]
        if self.max_body is not None:
            cmd += ["--max-body", str(self.max_body)]
        env = {**os.environ, "JOSE_ENGINE_API_TOKENS": TOKEN, "PYTHONPATH": str(ROOT),
               **self.env}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log,
                                         start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}): {self.log_tail()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start in {START_TIMEOUT}s: {self.log_tail()}")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL the server and everything it started (its own process group)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.kill()  # the leftovers of the group, if any

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def private_jwk(kid: str, keys: Path = KEYS) -> dict[str, Any]:
    return next(k for k in json.loads(keys.read_text())["keys"] if k["kid"] == kid)


def verify(token: str, jwks: dict[str, Any], keys: Path = KEYS) -> dict[str, Any]:
    """The claims of ``token``: a JWE is decrypted with joserfc (private key from ``keys``),
    a JWS is verified with PyJWT against the served public ``jwks``."""
    if token.count(".") == 4:
        header = json.loads(jwt.utils.base64url_decode(token.split(".")[0]))
        key = import_key(private_jwk(header["kid"], keys))
        inner = jwe.decrypt_compact(token, key, algorithms=[header["alg"], header["enc"]])
        token = inner.plaintext.decode() if inner.plaintext else ""
        assert header.get("cty") == "JWT"
    header = jwt.get_unverified_header(token)
    public = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims: dict[str, Any] = jwt.decode(token, jwt.PyJWK(public).key,
                                        algorithms=[header["alg"]], audience="api://myapi")
    return claims

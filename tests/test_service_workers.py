"""Several uvicorn workers share one database: a deployment through any is seen by all."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from .test_service_support import KEYS, POLICIES, PROJECT, PROXY, Server, body, verify

TOKENS = f"/runtime/production/projects/{PROJECT}/apiProxies/{PROXY}/policies/shared/tokens"


def no_keepalive(server: Server) -> httpx.Client:
    # A new connection for every request, so the kernel may hand each to any worker.
    return httpx.Client(base_url=server.url, headers=server.client().headers,
                        limits=httpx.Limits(max_keepalive_connections=0))


def test_a_deployment_through_one_worker_is_in_effect_in_all_within_a_second(
        tmp_path: Path) -> None:
    with Server(tmp_path, workers=3) as server, no_keepalive(server) as client:
        jwks = httpx.get(server.url + "/.well-known/jwks.json").json()
        pids = set()
        for version in range(3):
            doc = body("basic-jwt", subject=f"v{version}")
            method = "POST" if version == 0 else "PUT"
            r = client.request(method, POLICIES + "shared/", json=doc)
            assert r.status_code == 200 and r.json()["deploymentResult"]["success"]
            deployed = time.monotonic()
            time.sleep(0.6)  # each worker looks at the database at most every 0.5 s
            for _ in range(15):
                r = client.post(TOKENS)
                assert r.status_code == 200, r.text
                assert verify(r.json()["token"], jwks, KEYS)["sub"] == f"v{version}"
                pids.add(client.get("/healthz").json()["pid"])
            assert time.monotonic() - deployed < 5
        assert len(pids) >= 2, "every request went to one worker; nothing was shown"

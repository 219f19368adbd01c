"""A server killed with SIGKILL in the middle of a burst of writes leaves a database that
opens and holds only whole policies and whole deployments."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import httpx

from jose_engine.policy import parse_policy
from jose_engine.service.storage import SQLiteStorage

from .test_service_support import PROJECT, Server, body

WRITERS = 4


def test_sigkill_during_writes_leaves_only_whole_policies(tmp_path: Path) -> None:
    server = Server(tmp_path).start()
    acknowledged: set[tuple[str, str]] = set()
    stop = threading.Event()

    def writer(index: int) -> None:
        proxy = f"Burst{index % 2}"
        with server.client() as c:
            for i in range(10_000):
                if stop.is_set():
                    return
                name = f"w{index}-{i}"
                doc = body("basic-jwt", envs=["production", "test"], order=1,
                           description="d" * 2000)
                try:
                    r = c.post(f"/apiops/projects/{PROJECT}/apiProxies/{proxy}/policies/"
                               f"{name}/", json=doc)
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 200:
                    acknowledged.add((proxy, name))
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()  # SIGKILL, mid-burst
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        server.stop()
    assert len(acknowledged) >= 40

    db = sqlite3.connect(tmp_path / "service.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored: set[tuple[str, str]] = set()
    for proxy_id, proxy, revision in db.execute("SELECT id, name, revision FROM proxies"):
        rows = db.execute("SELECT name, position, document FROM policies WHERE proxy_id = ? "
                          "ORDER BY position", (proxy_id,)).fetchall()
        # Only adds happened: one revision per policy, positions without a gap.
        assert len(rows) == revision
        assert [r[1] for r in rows] == list(range(len(rows)))
        for name, _, document in rows:
            assert parse_policy(json.loads(document)).name == name
            stored.add((proxy, name))
        for env, dep_revision, snapshot in db.execute(
                "SELECT environment, revision, snapshot FROM deployments WHERE proxy_id = ?",
                (proxy_id,)):
            entries = json.loads(snapshot)
            assert dep_revision == revision and len(entries) == revision, env
            for entry in entries:
                parse_policy(entry["policy"])
    db.close()
    assert acknowledged <= stored  # every acknowledged write survived

    storage = SQLiteStorage(tmp_path / "service.db")  # and the service opens it again
    assert storage.load_proxy(PROJECT, "Burst0") is not None
    with Server(tmp_path) as again, again.client() as c:
        r = c.get(f"/apiops/projects/{PROJECT}/apiProxies/Burst1/policies/")
        assert r.status_code == 200
        names = {p["name"] for p in r.json()["resultList"][0]["apiProxy"]["responsePolicyList"]}
        assert names == {n for p, n in stored if p == "Burst1"}

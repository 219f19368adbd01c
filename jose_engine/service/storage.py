"""Where policies and deployments live: one small interface and its SQLite implementation.

Every change is one transaction: the proxy's policies, its new deployments and the
deployment counter are written together or not at all, so a crash never leaves half a
policy. Other processes sharing the database notice a change through :meth:`counters`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import orjson

from .model import Placement, ProxyConfig, StoredPolicy

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Edit:
    """What a change writes: the proxy's new config and the environments it deploys to."""

    config: ProxyConfig
    deploy_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Counters:
    """Bumped on every deployment and every key reload; other processes poll them."""

    deployments: int
    keys: int


@dataclass(frozen=True, slots=True)
class DeploymentRef:
    """Which revision of a proxy runs in an environment."""

    environment: str
    project: str
    proxy: str
    revision: int


class Storage(Protocol):
    """What the service needs from a database."""

    def load_proxy(self, project: str, proxy: str) -> ProxyConfig | None:
        """The proxy's current (saved, maybe undeployed) config; ``None`` if unknown."""

    def change_proxy(self, project: str, proxy: str,
                     edit: Callable[[ProxyConfig | None], Edit]) -> Edit:
        """Run ``edit`` on the current config and store its result, in one transaction.

        ``edit`` may raise to abort the change; nothing is written then.
        """

    def deployment_refs(self) -> list[DeploymentRef]:
        """Every (environment, proxy) deployment and the revision it runs."""

    def load_deployment(self, ref: DeploymentRef) -> ProxyConfig | None:
        """The deployed config ``ref`` names; ``None`` if it was replaced meanwhile."""

    def counters(self) -> Counters: ...

    def bump_keys(self) -> Counters:
        """Tell other processes the key set was reloaded."""

    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS proxies (
    id INTEGER PRIMARY KEY,
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    revision INTEGER NOT NULL,
    UNIQUE (project, name)
);
CREATE TABLE IF NOT EXISTS policies (
    proxy_id INTEGER NOT NULL REFERENCES proxies(id),
    name TEXT NOT NULL,
    placement TEXT NOT NULL,
    position INTEGER NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (proxy_id, name)
);
CREATE TABLE IF NOT EXISTS deployments (
    proxy_id INTEGER NOT NULL REFERENCES proxies(id),
    environment TEXT NOT NULL,
    revision INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    deployed_at REAL NOT NULL,
    PRIMARY KEY (proxy_id, environment)
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO counters VALUES ('deployments', 0), ('keys', 0);
"""


class StorageError(RuntimeError):
    """The database cannot be opened or has an unknown schema."""


class StorageUnavailable(StorageError):
    """A read or write failed (locked too long, disk full...); nothing was half-written."""


class SQLiteStorage:
    """:class:`Storage` in one SQLite file (WAL mode), shared safely by several processes."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0):
        self.path = str(path)
        self._timeout = timeout
        try:
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise StorageError(f"database {self.path!r} has schema {version}, "
                                       f"newer than this build's {SCHEMA_VERSION}")
                db.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except StorageUnavailable as exc:
            raise StorageError(f"cannot open database {self.path!r}: {exc}") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short-lived connection per call: safe from any thread, cheap for SQLite.
        try:
            db = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageUnavailable(str(exc)) from None
        try:
            db.execute("PRAGMA foreign_keys=ON")
            yield db
        except sqlite3.Error as exc:
            raise StorageUnavailable(str(exc)) from None
        finally:
            db.close()

    # -- reads ---------------------------------------------------------------------------

    def load_proxy(self, project: str, proxy: str) -> ProxyConfig | None:
        with self._connect() as db:
            return _read_proxy(db, project, proxy)

    def deployment_refs(self) -> list[DeploymentRef]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT d.environment, p.project, p.name, d.revision FROM deployments d "
                "JOIN proxies p ON p.id = d.proxy_id ORDER BY p.project, p.name, d.environment"
            ).fetchall()
        return [DeploymentRef(*row) for row in rows]

    def load_deployment(self, ref: DeploymentRef) -> ProxyConfig | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT d.snapshot FROM deployments d JOIN proxies p ON p.id = d.proxy_id "
                "WHERE p.project = ? AND p.name = ? AND d.environment = ? AND d.revision = ?",
                (ref.project, ref.proxy, ref.environment, ref.revision)).fetchone()
        if row is None:
            return None
        policies = tuple(StoredPolicy.from_json(p) for p in orjson.loads(row[0]))
        return ProxyConfig(ref.project, ref.proxy, ref.revision, policies)

    def counters(self) -> Counters:
        with self._connect() as db:
            return _counters(db)

    # -- writes --------------------------------------------------------------------------

    def change_proxy(self, project: str, proxy: str,
                     edit: Callable[[ProxyConfig | None], Edit]) -> Edit:
        with self._connect() as db, _transaction(db):
            # BEGIN IMMEDIATE takes the write lock first: the read below cannot go stale.
            db.execute("BEGIN IMMEDIATE")
            current = _read_proxy(db, project, proxy)
            result = edit(current)
            _write_proxy(db, result.config, result.deploy_to)
        return result

    def bump_keys(self) -> Counters:
        with self._connect() as db, _transaction(db):
            db.execute("BEGIN IMMEDIATE")
            db.execute("UPDATE counters SET value = value + 1 WHERE name = 'keys'")
            return _counters(db)

    def close(self) -> None:
        """Nothing is held open between calls."""


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """Commit when the block ends normally, roll back when it raises."""
    try:
        yield
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    if db.in_transaction:
        db.execute("COMMIT")


def _counters(db: sqlite3.Connection) -> Counters:
    values = dict(db.execute("SELECT name, value FROM counters").fetchall())
    return Counters(values["deployments"], values["keys"])


def _read_proxy(db: sqlite3.Connection, project: str, proxy: str) -> ProxyConfig | None:
    row = db.execute("SELECT id, revision FROM proxies WHERE project = ? AND name = ?",
                     (project, proxy)).fetchone()
    if row is None:
        return None
    rows = db.execute("SELECT name, placement, document FROM policies WHERE proxy_id = ? "
                      "ORDER BY position", (row[0],)).fetchall()
    policies = tuple(StoredPolicy(name, Placement.from_json(orjson.loads(placement)),
                                  orjson.loads(document))
                     for name, placement, document in rows)
    return ProxyConfig(project, proxy, row[1], policies)


def _write_proxy(db: sqlite3.Connection, config: ProxyConfig,
                 deploy_to: Sequence[str]) -> None:
    db.execute("INSERT INTO proxies (project, name, revision) VALUES (?, ?, ?) "
               "ON CONFLICT (project, name) DO UPDATE SET revision = excluded.revision",
               (config.project, config.proxy, config.revision))
    proxy_id = db.execute("SELECT id FROM proxies WHERE project = ? AND name = ?",
                          (config.project, config.proxy)).fetchone()[0]
    db.execute("DELETE FROM policies WHERE proxy_id = ?", (proxy_id,))
    db.executemany(
        "INSERT INTO policies (proxy_id, name, placement, position, document) "
        "VALUES (?, ?, ?, ?, ?)",
        [(proxy_id, p.name, orjson.dumps(p.placement.to_json()).decode(), i,
          orjson.dumps(dict(p.document)).decode()) for i, p in enumerate(config.policies)])
    if not deploy_to:
        return
    snapshot = orjson.dumps(config.snapshot_json()).decode()
    now = time.time()
    db.executemany(
        "INSERT INTO deployments (proxy_id, environment, revision, snapshot, deployed_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (proxy_id, environment) DO UPDATE SET "
        "revision = excluded.revision, snapshot = excluded.snapshot, "
        "deployed_at = excluded.deployed_at",
        [(proxy_id, env, config.revision, snapshot, now) for env in deploy_to])
    db.execute("UPDATE counters SET value = value + 1 WHERE name = 'deployments'")

"""The storage layer and the pure pipeline edits, without a server."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from jose_engine.enums import HttpMethod, Pipeline, TargetScope
from jose_engine.service.model import (
    Placement,
    ProxyConfig,
    StoredPolicy,
    with_added,
    with_replaced,
    without,
)
from jose_engine.service.storage import Edit, SQLiteStorage, StorageError, StorageUnavailable

RESPONSE = Placement(Pipeline.RESPONSE)
REQUEST = Placement(Pipeline.REQUEST)
ENDPOINT = Placement(Pipeline.REQUEST, TargetScope.ENDPOINT, "/users/{id}", HttpMethod.GET)


def entry(name: str, placement: Placement = RESPONSE, issuer: str = "x") -> StoredPolicy:
    return StoredPolicy(name, placement, {"type": "policy-jose-implementation", "name": name,
                                          "issuer": issuer})


def names(config: ProxyConfig, placement: Placement = RESPONSE) -> list[str]:
    return [p.name for p in config.pipeline(placement)]


def empty() -> ProxyConfig:
    return ProxyConfig("P", "A", 0)


@pytest.fixture
def storage(tmp_path: Path) -> SQLiteStorage:
    return SQLiteStorage(tmp_path / "service.db")


def add(storage: SQLiteStorage, name: str, order: int | None = None,
        placement: Placement = RESPONSE, deploy_to: tuple[str, ...] = ()) -> Edit:
    return storage.change_proxy("P", "A", lambda cur: Edit(
        with_added(cur or empty(), entry(name, placement), order), deploy_to))


# -- pipeline edits -----------------------------------------------------------------------

def test_no_order_appends_and_an_order_inserts_shifting_the_others() -> None:
    c = with_added(empty(), entry("a"), None)
    c = with_added(c, entry("b"), None)
    c = with_added(c, entry("c"), 1)
    c = with_added(c, entry("d"), 3)
    assert names(c) == ["c", "a", "d", "b"]
    assert c.revision == 4


def test_an_order_past_the_end_appends() -> None:
    c = with_added(with_added(empty(), entry("a"), None), entry("b"), 99)
    assert names(c) == ["a", "b"]


def test_pipelines_keep_separate_orders() -> None:
    c = with_added(empty(), entry("a"), 1)
    c = with_added(c, entry("b", REQUEST), 1)
    c = with_added(c, entry("e", ENDPOINT), 1)
    assert names(c) == ["a"] and names(c, REQUEST) == ["b"] and names(c, ENDPOINT) == ["e"]
    assert list(c.placements()) == [REQUEST, RESPONSE, ENDPOINT]


def test_update_without_order_keeps_the_position() -> None:
    c = with_added(with_added(with_added(empty(), entry("a"), None), entry("b"), None),
                   entry("c"), None)
    c = with_replaced(c, entry("b", issuer="new"), None)
    assert names(c) == ["a", "b", "c"]
    assert c.find("b").document["issuer"] == "new"  # type: ignore[union-attr]


def test_update_with_order_moves_the_policy() -> None:
    c = with_added(with_added(with_added(empty(), entry("a"), None), entry("b"), None),
                   entry("c"), None)
    assert names(with_replaced(c, entry("c"), 1)) == ["c", "a", "b"]


def test_update_to_another_pipeline_appends_there() -> None:
    c = with_added(with_added(empty(), entry("a"), None), entry("b", REQUEST), None)
    c = with_replaced(c, entry("a", REQUEST), None)
    assert names(c) == [] and names(c, REQUEST) == ["b", "a"]


def test_delete_removes_only_that_policy() -> None:
    c = with_added(with_added(empty(), entry("a"), None), entry("b"), None)
    assert names(without(c, "a")) == ["b"]


# -- SQLite ----------------------------------------------------------------------------------

def test_a_new_database_is_created_in_wal_mode(tmp_path: Path) -> None:
    SQLiteStorage(tmp_path / "new.db")
    db = sqlite3.connect(tmp_path / "new.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_unknown_proxy_loads_as_none(storage: SQLiteStorage) -> None:
    assert storage.load_proxy("P", "A") is None


def test_changes_are_stored_in_order_and_survive_reopening(tmp_path: Path,
                                                           storage: SQLiteStorage) -> None:
    add(storage, "a")
    add(storage, "b", order=1)
    add(storage, "e", placement=ENDPOINT)
    again = SQLiteStorage(tmp_path / "service.db").load_proxy("P", "A")
    assert again is not None and again.revision == 3
    assert names(again) == ["b", "a"] and names(again, ENDPOINT) == ["e"]
    assert again.find("e").placement == ENDPOINT  # type: ignore[union-attr]


def test_an_edit_that_raises_writes_nothing(storage: SQLiteStorage) -> None:
    add(storage, "a", deploy_to=("production",))
    before = storage.counters()

    def failing(current: ProxyConfig | None) -> Edit:
        raise LookupError("refused")
    with pytest.raises(LookupError):
        storage.change_proxy("P", "A", failing)
    with pytest.raises(LookupError):
        storage.change_proxy("P", "B", failing)
    assert names(storage.load_proxy("P", "A")) == ["a"]  # type: ignore[arg-type]
    assert storage.load_proxy("P", "B") is None
    assert storage.counters() == before


def test_a_deployment_keeps_its_snapshot_when_later_changes_are_not_deployed(
        storage: SQLiteStorage) -> None:
    add(storage, "a", deploy_to=("production", "test"))
    add(storage, "b", deploy_to=("test",))
    add(storage, "c")
    refs = {r.environment: r for r in storage.deployment_refs()}
    assert (refs["production"].revision, refs["test"].revision) == (1, 2)
    production = storage.load_deployment(refs["production"])
    test = storage.load_deployment(refs["test"])
    assert names(production) == ["a"] and names(test) == ["a", "b"]  # type: ignore[arg-type]
    assert names(storage.load_proxy("P", "A")) == ["a", "b", "c"]  # type: ignore[arg-type]


def test_deployments_and_key_reloads_bump_their_counters(storage: SQLiteStorage) -> None:
    start = storage.counters()
    add(storage, "a")
    assert storage.counters() == start
    add(storage, "b", deploy_to=("production",))
    assert storage.counters().deployments == start.deployments + 1
    assert storage.bump_keys().keys == start.keys + 1


def test_a_replaced_deployment_no_longer_loads_by_its_old_revision(
        storage: SQLiteStorage) -> None:
    add(storage, "a", deploy_to=("production",))
    old = storage.deployment_refs()[0]
    add(storage, "b", deploy_to=("production",))
    assert storage.load_deployment(old) is None


def test_concurrent_writers_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SQLiteStorage(path)
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        own = SQLiteStorage(path)
        try:
            for i in range(15):
                add(own, f"{prefix}{i}", deploy_to=("production",))
        except BaseException as exc:
            errors.append(exc)
    threads = [threading.Thread(target=writer, args=(p,)) for p in "xyz"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    config = SQLiteStorage(path).load_proxy("P", "A")
    assert config is not None and len(config.policies) == 45 and config.revision == 45


def test_a_database_from_a_newer_build_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    sqlite3.connect(path).execute("PRAGMA user_version=99")
    with pytest.raises(StorageError, match="newer"):
        SQLiteStorage(path)


def test_a_write_lock_held_too_long_is_storage_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    storage = SQLiteStorage(path, timeout=0.1)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageUnavailable):
            add(storage, "a")
    finally:
        holder.execute("ROLLBACK")
    assert storage.load_proxy("P", "A") is None
    add(storage, "a")
    assert names(storage.load_proxy("P", "A")) == ["a"]  # type: ignore[arg-type]

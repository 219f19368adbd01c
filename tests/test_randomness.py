"""The batched CSPRNG: every slice and every UUID is handed out once, also across forks."""

from __future__ import annotations

import os
import uuid

from jose_engine.randomness import random_bytes, uuid4, uuid4_text


def test_uuids_are_version_4_and_distinct() -> None:
    seen = {uuid4_text() for _ in range(3000)}
    assert len(seen) == 3000
    for text in list(seen)[:500]:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == text


def test_uuid4_from_fixed_octets() -> None:
    assert uuid4(bytes(16)) == "00000000-0000-4000-8000-000000000000"
    assert uuid4(b"\xff" * 16) == "ffffffff-ffff-4fff-bfff-ffffffffffff"


def test_random_slices_are_not_reused() -> None:
    assert len({random_bytes(12) for _ in range(2000)}) == 2000
    assert len(random_bytes(100)) == 100


def test_a_forked_child_never_repeats_the_parent() -> None:
    random_bytes(16), uuid4_text()  # fill the batches before forking
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, random_bytes(16) + uuid4_text().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 100)
    assert child[:16] != random_bytes(16)
    assert child[16:].decode() != uuid4_text()

"""Random octets for IVs, CEKs, salts and ``jti``: the OS CSPRNG, read in batches.

One ``os.urandom`` call costs a system call, as much as an AEAD call on a token; reading a
batch at once and handing out slices keeps the per-token cost low. Each size has a queue of
ready slices; ``deque.popleft`` is atomic, so every slice goes to exactly one caller, from
any thread. A forked child empties the queues it inherited so parent and child never share.
"""

from __future__ import annotations

import os
from collections import deque

_BATCH = 256
_queues: dict[int, deque[bytes]] = {}


def _after_fork() -> None:
    for queue in _queues.values():
        queue.clear()


os.register_at_fork(after_in_child=_after_fork)


def _refill(n: int) -> bytes:
    queue = _queues.setdefault(n, deque())
    block = os.urandom(n * _BATCH)
    queue.extend(block[i:i + n] for i in range(n, len(block), n))
    return block[:n]


def random_bytes(n: int) -> bytes:
    """``n`` octets from the OS CSPRNG, each handed out once."""
    try:
        return _queues[n].popleft()
    except (KeyError, IndexError):
        if n > 64:
            return os.urandom(n)
        return _refill(n)

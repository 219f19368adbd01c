"""Random octets for IVs, CEKs and salts, and ``jti`` UUIDs: the OS CSPRNG, read in batches.

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
_uuids: deque[str] = deque()
# The variant nibble of a v4 UUID (RFC 9562 §4.1): 10xx, from any random hex digit.
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
# Where the first hex digit of each of a UUID's 16 octets stands in its text.
_HEX_COLUMNS = (0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34)
_UUID_BATCH = 1024
_VERSION_4 = bytes(x & 0x0F | 0x40 for x in range(256))
_VARIANT_10 = bytes(x & 0x3F | 0x80 for x in range(256))


def _after_fork() -> None:
    for queue in _queues.values():
        queue.clear()
    _uuids.clear()


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


def uuid4(random: bytes) -> str:
    """RFC 9562 §5.4 version 4 UUID text from 16 random octets."""
    h = random.hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def uuid4_text() -> str:
    """A random version 4 UUID, each handed out once; formatted in batches."""
    try:
        return _uuids.popleft()
    except IndexError:
        batch = _uuid_batch()
        _uuids.extend(batch[1:])
        return batch[0]


def _uuid_batch() -> list[str]:
    """``_UUID_BATCH`` UUID texts, built column by column with bulk slice operations."""
    n = _UUID_BATCH
    block = bytearray(os.urandom(16 * n))
    # RFC 9562 §5.4: version 4 in octet 6's high nibble, variant 10 in octet 8's top bits;
    # one translate per column sets them for the whole batch.
    block[6::16] = block[6::16].translate(_VERSION_4)
    block[8::16] = block[8::16].translate(_VARIANT_10)
    # Each UUID takes 37 characters: the 36 of 8-4-4-4-12 and a space that splits them.
    text = bytearray(37 * n)
    for octet, column in enumerate(_HEX_COLUMNS):
        digits = block[octet::16].hex().encode("ascii")
        text[column::37] = digits[0::2]
        text[column + 1::37] = digits[1::2]
    for column in (8, 13, 18, 23):
        text[column::37] = b"-" * n
    text[36::37] = b" " * n
    return text.decode("ascii").split()

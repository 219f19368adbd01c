"""The Concat KDF of NIST SP 800-56A §5.8.1, as RFC 7518 §4.6.2 uses it for ECDH-ES.

The legacy CBC methods (``legacy.py``) run one round of the same function with their own
OtherInfo and hash, so both share :func:`concat_kdf`.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from typing import Any

HashFactory = Callable[[bytes], Any]  # hashlib constructor: data -> object with .digest()


def length_prefixed(data: bytes) -> bytes:
    """``uint32be(len(data)) || data``, the "Datalen || Data" form of RFC 7518 §4.6.2."""
    return struct.pack(">I", len(data)) + data


def other_info(
    algorithm_id: bytes, keydatalen_bits: int, apu: bytes = b"", apv: bytes = b""
) -> bytes:
    """RFC 7518 §4.6.2 OtherInfo: AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo.

    ``algorithm_id`` is the ``enc`` name for direct ECDH-ES and the ``alg`` name otherwise.
    We never send ``apu``/``apv``, so they stay empty (zero length) outside tests.
    SuppPrivInfo is the empty octet sequence.
    """
    return (
        length_prefixed(algorithm_id)
        + length_prefixed(apu)
        + length_prefixed(apv)
        + struct.pack(">I", keydatalen_bits)
    )


def concat_kdf(
    secret: bytes, info: bytes, length: int, hash_new: HashFactory = hashlib.sha256
) -> bytes:
    """``length`` octets of ``H(counter || secret || info)`` for counter = 1, 2, ...

    RFC 7518 §4.6.2 fixes SHA-256; the legacy methods pass SHA-512 for their 64-octet key.
    """
    out = b""
    counter = 1
    while len(out) < length:
        out += hash_new(struct.pack(">I", counter) + secret + info).digest()
        counter += 1
    return out[:length]

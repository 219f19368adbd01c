"""What every key-management algorithm provides per token (RFC 7516 §5.1 steps 1-6)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from .content import ContentEncryption

Rng = Callable[[int], bytes]


class Delivery(NamedTuple):
    """One token's CEK, JWE Encrypted Key and per-token header members (or None)."""

    cek: bytes
    encrypted_key: bytes
    header: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Injected:
    """TEST ONLY: fixed values replacing per-token randomness; only ``_testing`` makes one.

    ``cek`` and ``iv`` for content encryption, ``ephemeral_key`` (a private key object) for
    ECDH-ES, ``p2s`` for PBES2, ``kw_iv`` for AES-GCM key wrap.
    """

    cek: bytes | None = None
    iv: bytes | None = None
    ephemeral_key: Any = None
    p2s: bytes | None = None
    kw_iv: bytes | None = None


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What a key-management builder may use besides the key."""

    alg: str  # wire alg, for messages and where the RFC feeds the name into a KDF
    content: ContentEncryption
    rng: Rng
    pbes2_count: int


class KeyManager(Protocol):
    """A key-management algorithm bound to one recipient key and one ``enc``."""

    @property
    def static_cek(self) -> bytes | None:
        """The CEK when it never changes (``dir``), so the content cipher is bound once."""
        ...

    @property
    def cek_is_derived(self) -> bool:
        """True when the CEK comes from the key (``dir``, direct ECDH-ES), not the RNG."""
        ...

    @property
    def static_header(self) -> Mapping[str, Any]:
        """Header members that are the same for every token (PBES2 ``p2c``)."""
        ...

    def deliver(self, injected: Injected | None) -> Delivery:
        """This token's CEK, encrypted key and per-token header members."""
        ...


def fresh(rng: Rng, size: int, fixed: bytes | None) -> bytes:
    """``size`` random octets, or the injected test value when there is one."""
    return rng(size) if fixed is None else fixed

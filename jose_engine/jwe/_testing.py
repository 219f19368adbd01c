"""TEST ONLY: mint a JWE with fixed CEK, IV and key-management randomness.

Published vectors fix values that are random in production. This hook injects them so the
vector tests can compare bytes. Never use it to mint real tokens: a repeated IV or CEK
breaks GCM and XC20P outright.
"""

from __future__ import annotations

from typing import Any

from .encrypter import Encrypter
from .management import Delivery, Injected


def _encrypt_for_test(
    encrypter: Encrypter, plaintext: bytes, *, cek: bytes | None = None,
    iv: bytes | None = None, ephemeral_key: Any = None, p2s: bytes | None = None,
    kw_iv: bytes | None = None,
) -> bytes:
    """TEST ONLY: :meth:`Encrypter.encrypt` with the given values instead of random ones.

    ``ephemeral_key`` is a ``cryptography`` private key on the recipient's curve (ECDH-ES);
    ``p2s`` the PBES2 salt input; ``kw_iv`` the AES-GCM key-wrap IV. A CEK cannot be
    injected when the alg derives it (``dir``, direct ECDH-ES).
    """
    manager = encrypter._manager
    if cek is not None and manager.cek_is_derived:
        raise ValueError(f"alg {encrypter.alg} derives the CEK; inject the key instead")
    content = encrypter._content
    if iv is not None and len(iv) != content.iv_len:
        raise ValueError(f"{content.enc} needs a {content.iv_len}-octet IV, got {len(iv)}")
    if cek is not None and len(cek) != content.cek_len:
        raise ValueError(f"{content.enc} needs a {content.cek_len}-octet CEK, got {len(cek)}")
    injected = Injected(cek=cek, iv=iv, ephemeral_key=ephemeral_key, p2s=p2s, kw_iv=kw_iv)
    return encrypter._mint(plaintext, injected)


def _deliver_for_test(
    encrypter: Encrypter, *, cek: bytes | None = None, ephemeral_key: Any = None,
    p2s: bytes | None = None, kw_iv: bytes | None = None,
) -> Delivery:
    """TEST ONLY: the key-management step alone: (CEK, encrypted key, per-token header).

    Lets vector tests compare a derived CEK (direct ECDH-ES) with a published one.
    """
    injected = Injected(cek=cek, ephemeral_key=ephemeral_key, p2s=p2s, kw_iv=kw_iv)
    return encrypter._manager.deliver(injected)

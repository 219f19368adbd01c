"""Key managers that use the recipient key directly: dir, RSA, AES-KW, AES-GCMKW, PBES2.

RFC 7518 §4.2-4.5, 4.7 and 4.8. Each builder checks the key once and returns a manager
whose ``deliver`` does only per-token work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from ..encoding import b64u_encode
from ..errors import UnsupportedError
from .management import BuildContext, Delivery, Injected, KeyManager, Rng, fresh
from .recipient import RecipientKey

Builder = Callable[[RecipientKey, BuildContext], KeyManager]

MIN_RSA_BITS = 2048  # RFC 7518 §4.2/§4.3: "A key of size 2048 bits or larger MUST be used"
MIN_PBES2_COUNT = 1000  # RFC 7518 §4.8.1.2: "A minimum iteration count of 1000 is RECOMMENDED"
_NO_HEADER: Mapping[str, Any] = MappingProxyType({})


class Direct:
    """``dir`` (RFC 7518 §4.5): the shared key is the CEK; the encrypted key is empty."""

    __slots__ = ("static_cek",)
    cek_is_derived = True
    static_header = _NO_HEADER

    def __init__(self, key: bytes) -> None:
        self.static_cek = key

    def deliver(self, injected: Injected | None) -> Delivery:
        assert self.static_cek is not None
        return Delivery(self.static_cek, b"", None)


class Wrap:
    """A fresh random CEK per token, encrypted by one key-bound function (RSA, AES-KW)."""

    __slots__ = ("_cek_len", "_rng", "_wrap")
    static_cek = None
    cek_is_derived = False
    static_header = _NO_HEADER

    def __init__(self, wrap: Callable[[bytes], bytes], rng: Rng, cek_len: int) -> None:
        self._wrap, self._rng, self._cek_len = wrap, rng, cek_len

    def deliver(self, injected: Injected | None) -> Delivery:
        cek = fresh(self._rng, self._cek_len, injected.cek if injected else None)
        return Delivery(cek, self._wrap(cek), None)


class GcmWrap:
    """AES-GCM key wrap (RFC 7518 §4.7): a 96-bit IV per token; IV and tag in the header."""

    __slots__ = ("_aead", "_cek_len", "_rng")
    static_cek = None
    cek_is_derived = False
    static_header = _NO_HEADER

    def __init__(self, kek: bytes, rng: Rng, cek_len: int) -> None:
        self._aead, self._rng, self._cek_len = AESGCM(kek), rng, cek_len

    def deliver(self, injected: Injected | None) -> Delivery:
        cek = fresh(self._rng, self._cek_len, injected.cek if injected else None)
        iv = fresh(self._rng, 12, injected.kw_iv if injected else None)
        out = self._aead.encrypt(iv, cek, None)
        header = {"iv": b64u_encode(iv).decode(), "tag": b64u_encode(out[-16:]).decode()}
        return Delivery(cek, out[:-16], header)


class Pbes2:
    """PBES2 (RFC 7518 §4.8): PBKDF2 per token with a fresh 16-octet salt, then AES-KW."""

    __slots__ = (
        "_cek_len",
        "_count",
        "_hash",
        "_kek_len",
        "_password",
        "_rng",
        "_salt_prefix",
        "static_header",
    )
    static_cek = None
    cek_is_derived = False

    def __init__(self, password: bytes, alg: bytes, hash_alg: hashes.HashAlgorithm,
                 kek_len: int, ctx: BuildContext) -> None:
        # §4.8.1.1: salt = UTF8(alg) || 0x00 || p2s, so one p2s never serves two algs.
        self._salt_prefix = alg + b"\x00"
        self._password, self._hash, self._kek_len = password, hash_alg, kek_len
        self._count, self._rng = ctx.pbes2_count, ctx.rng
        self._cek_len = ctx.content.cek_len
        self.static_header = {"p2c": ctx.pbes2_count}

    def deliver(self, injected: Injected | None) -> Delivery:
        cek = fresh(self._rng, self._cek_len, injected.cek if injected else None)
        p2s = fresh(self._rng, 16, injected.p2s if injected else None)
        kdf = PBKDF2HMAC(self._hash, self._kek_len, self._salt_prefix + p2s, self._count)
        kek = kdf.derive(self._password)
        return Delivery(cek, aes_key_wrap(kek, cek), {"p2s": b64u_encode(p2s).decode()})


def direct() -> Builder:
    """Builder for ``dir``: the key length must equal the enc's CEK length."""

    def build(key: RecipientKey, ctx: BuildContext) -> KeyManager:
        secret = key.octets("k")
        if len(secret) != ctx.content.cek_len:
            raise key.refuse(f"alg 'dir' with enc {ctx.content.enc!r} needs a "
                             f"{ctx.content.cek_len}-octet key, got {len(secret)}")
        return Direct(secret)

    return build


def rsa_encryption(pad: padding.AsymmetricPadding) -> Builder:
    """Builder for RSA1_5 / RSA-OAEP-*: a public key of at least 2048 bits."""

    def build(key: RecipientKey, ctx: BuildContext) -> KeyManager:
        public = _rsa_public(key, ctx)

        def wrap(cek: bytes) -> bytes:
            return public.encrypt(cek, pad)

        return Wrap(wrap, ctx.rng, ctx.content.cek_len)

    return build


def aes_key_wrap_with(kek_len: int) -> Builder:
    """Builder for A128KW/A192KW/A256KW (RFC 3394 key wrap, RFC 7518 §4.4)."""

    def build(key: RecipientKey, ctx: BuildContext) -> KeyManager:
        kek = _oct_of_length(key, kek_len, ctx)

        def wrap(cek: bytes) -> bytes:
            return aes_key_wrap(kek, cek)

        return Wrap(wrap, ctx.rng, ctx.content.cek_len)

    return build


def aes_gcm_key_wrap(kek_len: int) -> Builder:
    """Builder for A128GCMKW/A192GCMKW/A256GCMKW."""

    def build(key: RecipientKey, ctx: BuildContext) -> KeyManager:
        return GcmWrap(_oct_of_length(key, kek_len, ctx), ctx.rng, ctx.content.cek_len)

    return build


def pbes2(hash_alg: hashes.HashAlgorithm, kek_len: int) -> Builder:
    """Builder for PBES2-HS*+A*KW: the oct key's octets are the password."""

    def build(key: RecipientKey, ctx: BuildContext) -> KeyManager:
        password = key.octets("k")
        if not password:
            raise key.refuse(f"alg {ctx.alg!r} needs a non-empty password in 'k'")
        if ctx.pbes2_count < MIN_PBES2_COUNT:
            raise UnsupportedError(
                f"pbes2_count must be at least {MIN_PBES2_COUNT} (RFC 7518 §4.8.1.2), "
                f"got {ctx.pbes2_count}")
        return Pbes2(password, ctx.alg.encode("ascii"), hash_alg, kek_len, ctx)

    return build


def _rsa_public(key: RecipientKey, ctx: BuildContext) -> rsa.RSAPublicKey:
    n, e = key.octets("n"), key.octets("e")
    try:
        public = rsa.RSAPublicNumbers(int.from_bytes(e, "big"), int.from_bytes(n, "big"))
        loaded = public.public_key()
    except ValueError:
        raise key.refuse("JWK is not a valid RSA public key") from None
    if loaded.key_size < MIN_RSA_BITS:
        raise key.refuse(f"alg {ctx.alg!r} needs an RSA key of at least {MIN_RSA_BITS} "
                         f"bits, got {loaded.key_size} (RFC 7518 §4.2, §4.3)")
    return loaded


def _oct_of_length(key: RecipientKey, size: int, ctx: BuildContext) -> bytes:
    secret = key.octets("k")
    if len(secret) != size:
        raise key.refuse(f"alg {ctx.alg!r} needs a {size}-octet key, got {len(secret)}")
    return secret

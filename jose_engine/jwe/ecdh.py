"""ECDH-ES key agreement (RFC 7518 §4.6) on P-256, P-384, P-521 and X25519, X448 (RFC 8037).

Every token gets a fresh ephemeral key; its public half goes into the header as ``epk``.
Each curve is one frozen :class:`Curve` in :data:`CURVES`, keyed by the JWK ``crv``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, x448, x25519
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ..encoding import b64u_encode
from ..errors import UnsupportedError
from .concatkdf import concat_kdf, other_info
from .management import BuildContext, Delivery, Injected, KeyManager, Rng, fresh
from .recipient import RecipientKey
from .wrapping import Builder


@dataclass(frozen=True, slots=True)
class Curve:
    """One ECDH curve: how to load the recipient key, make ephemerals, agree and show them."""

    crv: str
    kty: str
    load: Callable[[RecipientKey], Any]
    generate: Callable[[], Any]
    exchange: Callable[[Any, Any], bytes]  # (ephemeral private, recipient public) -> Z
    epk: Callable[[Any], dict[str, str]]  # ephemeral public key -> its public JWK members


def _b64(data: bytes) -> str:
    return b64u_encode(data).decode("ascii")


def _nist(crv: str, curve: ec.EllipticCurve, size: int) -> Curve:
    def load(key: RecipientKey) -> ec.EllipticCurvePublicKey:
        x, y = key.octets("x"), key.octets("y")
        if len(x) != size or len(y) != size:  # RFC 7518 §6.2.1.2: full-length coordinates
            raise key.refuse(f"{crv} coordinates must be {size} octets")
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + x + y)
        except ValueError:
            raise key.refuse(f"JWK is not a point on {crv}") from None

    def exchange(private: ec.EllipticCurvePrivateKey, public: Any) -> bytes:
        # RFC 7518 §4.6.2: Z is the x-coordinate of the shared point (SEC 1 §3.3.1).
        return private.exchange(ec.ECDH(), public)

    def epk(public: ec.EllipticCurvePublicKey) -> dict[str, str]:
        point = public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {"kty": "EC", "crv": crv, "x": _b64(point[1:1 + size]),
                "y": _b64(point[1 + size:])}

    return Curve(crv, "EC", load, lambda: ec.generate_private_key(curve), exchange, epk)


def _montgomery(crv: str, private_cls: Any, public_cls: Any) -> Curve:
    def load(key: RecipientKey) -> Any:
        try:
            public = public_cls.from_public_bytes(key.octets("x"))
            # RFC 7748 §6.1: a low-order point gives an all-zero secret, which cryptography
            # refuses; try one exchange now so such a key fails at compile, not per token.
            private_cls.generate().exchange(public)
        except UnsupportedAlgorithm:
            raise UnsupportedError(f"this cryptography build has no {crv}") from None
        except ValueError:
            raise key.refuse(f"JWK 'x' is not a usable {crv} public key") from None
        return public

    def exchange(private: Any, public: Any) -> bytes:
        # RFC 8037 §3.2: Z is the X25519/X448 output; cryptography refuses an all-zero one.
        return bytes(private.exchange(public))

    def epk(public: Any) -> dict[str, str]:
        return {"kty": "OKP", "crv": crv, "x": _b64(public.public_bytes_raw())}

    return Curve(crv, "OKP", load, private_cls.generate, exchange, epk)


CURVES: dict[str, Curve] = {
    c.crv: c for c in (
        _nist("P-256", ec.SECP256R1(), 32),
        _nist("P-384", ec.SECP384R1(), 48),
        _nist("P-521", ec.SECP521R1(), 66),
        _montgomery("X25519", x25519.X25519PrivateKey, x25519.X25519PublicKey),
        _montgomery("X448", x448.X448PrivateKey, x448.X448PublicKey),
    )
}


class _Agreement:
    """The shared step: a fresh ephemeral key, Z, the Concat KDF output and ``epk``."""

    __slots__ = ("_curve", "_info", "_key_len", "_public")
    static_cek = None
    static_header: Mapping[str, Any] = MappingProxyType({})

    def __init__(self, curve: Curve, public: Any, info: bytes, key_len: int) -> None:
        self._curve, self._public, self._info, self._key_len = curve, public, info, key_len

    def agree(self, injected: Injected | None) -> tuple[bytes, dict[str, Any]]:
        fixed = injected.ephemeral_key if injected else None
        ephemeral = self._curve.generate() if fixed is None else fixed
        z = self._curve.exchange(ephemeral, self._public)
        key = concat_kdf(z, self._info, self._key_len)
        return key, {"epk": self._curve.epk(ephemeral.public_key())}


class EcdhDirect(_Agreement):
    """Direct key agreement: the KDF output is the CEK; the encrypted key is empty."""

    __slots__ = ()
    cek_is_derived = True

    def deliver(self, injected: Injected | None) -> Delivery:
        cek, header = self.agree(injected)
        return Delivery(cek, b"", header)


class EcdhKeyWrap(_Agreement):
    """Key agreement with key wrapping: the KDF output wraps a fresh CEK (RFC 3394)."""

    __slots__ = ("_cek_len", "_rng")
    cek_is_derived = False

    def __init__(self, curve: Curve, public: Any, info: bytes, kek_len: int,
                 rng: Rng, cek_len: int) -> None:
        super().__init__(curve, public, info, kek_len)
        self._rng, self._cek_len = rng, cek_len

    def deliver(self, injected: Injected | None) -> Delivery:
        kek, header = self.agree(injected)
        cek = fresh(self._rng, self._cek_len, injected.cek if injected else None)
        return Delivery(cek, aes_key_wrap(kek, cek), header)


def ecdh_direct() -> Builder:
    """Builder for ECDH-ES: keydatalen = the enc's CEK length, AlgorithmID = the enc name."""

    def build(key: RecipientKey, ctx: BuildContext) -> KeyManager:
        curve, public = _recipient(key, ctx)
        cek_len = ctx.content.cek_len
        info = other_info(ctx.content.enc.encode("ascii"), 8 * cek_len)
        return EcdhDirect(curve, public, info, cek_len)

    return build


def ecdh_key_wrap(kek_len: int) -> Builder:
    """Builder for ECDH-ES+A*KW: keydatalen = the wrap key length, AlgorithmID = the alg."""

    def build(key: RecipientKey, ctx: BuildContext) -> KeyManager:
        curve, public = _recipient(key, ctx)
        info = other_info(ctx.alg.encode("ascii"), 8 * kek_len)
        return EcdhKeyWrap(curve, public, info, kek_len, ctx.rng, ctx.content.cek_len)

    return build


def _recipient(key: RecipientKey, ctx: BuildContext) -> tuple[Curve, Any]:
    crv = key.members.get("crv")
    curve = CURVES.get(crv) if isinstance(crv, str) else None
    if curve is None or curve.kty != key.kty:
        raise key.refuse(f"alg {ctx.alg!r} cannot use a {key.kty} key on curve {crv!r}; "
                         f"it needs one of {', '.join(CURVES)}")
    return curve, curve.load(key)

"""JWS algorithms (RFC 7518 §3, RFC 8037 §3.1): one descriptor each, and their signers.

A signer is built once per compiled policy from a checked key; per token it only signs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from jwcrypto import jwk as jwcrypto_jwk
from nacl.bindings import crypto_sign, crypto_sign_seed_keypair

from .encoding import b64u_decode
from .errors import JoseEngineError, KeySetError
from .keys import check_signing_usage

Signer = Callable[[bytes], bytes]


class Family(Enum):
    HMAC = "HMAC"
    RSA_PKCS1 = "RSASSA-PKCS1-v1_5"
    RSA_PSS = "RSASSA-PSS"
    ECDSA = "ECDSA"
    EDDSA = "EdDSA"


@dataclass(frozen=True, slots=True)
class JWSAlgorithm:
    """One JWS ``alg``: its family, hash, key type and (for ECDSA/EdDSA) allowed curves."""

    name: str
    family: Family
    kty: str
    hash: type[hashes.HashAlgorithm] | None = None
    curves: tuple[str, ...] = ()
    # ECDSA: octets of each of R and S (RFC 7518 §3.4); HMAC: minimum key octets (§3.2).
    size: int = 0


_ALGS = (
    JWSAlgorithm("HS256", Family.HMAC, "oct", hashes.SHA256, size=32),
    JWSAlgorithm("HS384", Family.HMAC, "oct", hashes.SHA384, size=48),
    JWSAlgorithm("HS512", Family.HMAC, "oct", hashes.SHA512, size=64),
    JWSAlgorithm("RS256", Family.RSA_PKCS1, "RSA", hashes.SHA256),
    JWSAlgorithm("RS384", Family.RSA_PKCS1, "RSA", hashes.SHA384),
    JWSAlgorithm("RS512", Family.RSA_PKCS1, "RSA", hashes.SHA512),
    JWSAlgorithm("PS256", Family.RSA_PSS, "RSA", hashes.SHA256),
    JWSAlgorithm("PS384", Family.RSA_PSS, "RSA", hashes.SHA384),
    JWSAlgorithm("PS512", Family.RSA_PSS, "RSA", hashes.SHA512),
    JWSAlgorithm("ES256", Family.ECDSA, "EC", hashes.SHA256, ("P-256",), 32),
    JWSAlgorithm("ES384", Family.ECDSA, "EC", hashes.SHA384, ("P-384",), 48),
    JWSAlgorithm("ES512", Family.ECDSA, "EC", hashes.SHA512, ("P-521",), 66),
    JWSAlgorithm("ES256K", Family.ECDSA, "EC", hashes.SHA256, ("secp256k1",), 32),
    JWSAlgorithm("EdDSA", Family.EDDSA, "OKP", curves=("Ed25519", "Ed448")),
)
ALGORITHMS: dict[str, JWSAlgorithm] = {a.name: a for a in _ALGS}
# The alg a JWK without ``alg`` signs with (policy-semantics, "Keys").
_DEFAULT_BY_KTY = {"oct": "HS256", "RSA": "RS256"}
_DEFAULT_BY_CURVE = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512",
                     "secp256k1": "ES256K", "Ed25519": "EdDSA", "Ed448": "EdDSA"}
MIN_RSA_BITS = 2048


def algorithm_for(key: jwcrypto_jwk.JWK, kid: str) -> JWSAlgorithm:
    """The JWK's own ``alg``, else the default for its key type and curve."""
    name = key.get("alg")
    if name is None:
        name = _DEFAULT_BY_KTY.get(key.get("kty")) or _DEFAULT_BY_CURVE.get(key.get("crv"))
        if name is None:
            raise KeySetError(f"no signing algorithm fits a {key.get('kty')} "
                              f"{key.get('crv') or ''} key".rstrip(), kid=kid)
    alg = ALGORITHMS.get(name)
    if alg is None:
        allowed = ", ".join(ALGORITHMS)
        raise KeySetError(f"alg {str(name)[:32]!r} is not a JWS algorithm ({allowed})", kid=kid)
    return alg


def build_signer(key: jwcrypto_jwk.JWK, kid: str) -> tuple[JWSAlgorithm, Signer]:
    """Check ``key`` for signing and return its algorithm and a ready signer."""
    alg = algorithm_for(key, kid)
    check_signing_usage(key, kid)
    if key.get("kty") != alg.kty:
        raise KeySetError(f"alg {alg.name} needs a {alg.kty} key, not {key.get('kty')}",
                          kid=kid)
    if alg.curves and key.get("crv") not in alg.curves:
        raise KeySetError(f"alg {alg.name} needs curve {' or '.join(alg.curves)}, "
                          f"not {key.get('crv')}", kid=kid)
    if alg.family is Family.HMAC:
        return alg, _hmac_signer(alg, key, kid)
    if not key.has_private:
        raise KeySetError("a public key cannot sign; the private key is needed", kid=kid)
    try:
        private = key.get_op_key("sign")
    except (ValueError, TypeError, KeyError, jwcrypto_jwk.InvalidJWKValue,
            jwcrypto_jwk.InvalidJWKOperation) as exc:
        # Only the kind of failure is shown: library messages may quote key members.
        raise KeySetError(f"not a usable private key ({type(exc).__name__})", kid=kid) from None
    if alg.family is Family.EDDSA:
        _check_okp_public(key, private, kid)
    return alg, _BUILDERS[alg.family](alg, private, kid)


def _check_okp_public(key: jwcrypto_jwk.JWK, private: Any, kid: str) -> None:
    """RFC 8037 §2: ``x`` must be the public key of ``d``, or verifiers would fail."""
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    try:
        published = b64u_decode(key.get("x", ""))
    except JoseEngineError:
        published = b""
    if published != public:
        raise KeySetError("the JWK's 'x' is not the public key of its 'd'", kid=kid)


def _hmac_signer(alg: JWSAlgorithm, key: jwcrypto_jwk.JWK, kid: str) -> Signer:
    try:
        secret = b64u_decode(key.get("k", ""))
    except JoseEngineError:
        raise KeySetError("the JWK's 'k' is not unpadded base64url", kid=kid) from None
    # RFC 7518 §3.2: a key of the same size as the hash output or larger MUST be used.
    if len(secret) < alg.size:
        raise KeySetError(f"{alg.name} needs a key of at least {alg.size * 8} bits, "
                          f"this one has {len(secret) * 8}", kid=kid)
    # Keyed once; each token copies the keyed state instead of re-deriving the pads.
    keyed = hmac.HMAC(secret, _hash(alg))

    def sign(data: bytes) -> bytes:
        h = keyed.copy()
        h.update(data)
        return h.finalize()
    # The compiled policy inlines these three calls into its per-token function.
    sign.keyed_hmac = keyed  # type: ignore[attr-defined]
    return sign


def _rsa_key(private: Any, kid: str) -> rsa.RSAPrivateKey:
    if private.key_size < MIN_RSA_BITS:
        raise KeySetError(f"RSA keys under {MIN_RSA_BITS} bits are refused "
                          f"(this one has {private.key_size})", kid=kid)
    key: rsa.RSAPrivateKey = private
    return key


def _pkcs1_signer(alg: JWSAlgorithm, private: Any, kid: str) -> Signer:
    key, pad, hash_ = _rsa_key(private, kid), padding.PKCS1v15(), _hash(alg)
    return lambda data: key.sign(data, pad, hash_)


def _pss_signer(alg: JWSAlgorithm, private: Any, kid: str) -> Signer:
    key, hash_ = _rsa_key(private, kid), _hash(alg)
    # RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash output.
    pad = padding.PSS(mgf=padding.MGF1(hash_), salt_length=hash_.digest_size)
    return lambda data: key.sign(data, pad, hash_)


def _ecdsa_signer(alg: JWSAlgorithm, private: Any, kid: str) -> Signer:
    key: ec.EllipticCurvePrivateKey = private
    scheme, width = ec.ECDSA(_hash(alg)), alg.size

    def sign(data: bytes) -> bytes:
        # RFC 7518 §3.4: R || S, each left-padded to the curve's width, not DER.
        r, s = decode_dss_signature(key.sign(data, scheme))
        return r.to_bytes(width, "big") + s.to_bytes(width, "big")
    return sign


def _eddsa_signer(alg: JWSAlgorithm, private: Any, kid: str) -> Signer:
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return _sodium_ed25519(private)
    key: ed448.Ed448PrivateKey = private
    return key.sign


def _sodium_ed25519(private: ed25519.Ed25519PrivateKey) -> Signer:
    # libsodium signs Ed25519 faster than OpenSSL; RFC 8032 signatures are deterministic,
    # so both give the same bytes (the RFC 8037 A.4 vector checks it).
    seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    _, secret = crypto_sign_seed_keypair(seed)

    def sign(data: bytes) -> bytes:
        return crypto_sign(data, secret)[:64]  # signature || message: keep the signature
    return sign


def _hash(alg: JWSAlgorithm) -> hashes.HashAlgorithm:
    assert alg.hash is not None
    return alg.hash()


_BUILDERS: dict[Family, Callable[[JWSAlgorithm, Any, str], Signer]] = {
    Family.RSA_PKCS1: _pkcs1_signer,
    Family.RSA_PSS: _pss_signer,
    Family.ECDSA: _ecdsa_signer,
    Family.EDDSA: _eddsa_signer,
}

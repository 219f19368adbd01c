"""The benchmark grid: one row per case; ours, the bare primitive and the peers for each.

A case is a policy (seed format) and the key it signs or encrypts with. The peers mint the
same claims with the same ``alg``, ``enc``, header and key: their calls are the adapters in
:mod:`jose_engine.bench.peers` (``_pyjwt``, ``_joserfc``, ``_jwcrypto``, ``_python_jose``), which
``jose-engine bench --compare`` also uses. "bare" is the cryptographic primitive alone on a
message of the token's size: the floor no JOSE library can beat.

Every key is imported and every object prepared here, outside the timed call.
"""

from __future__ import annotations

import functools
import hmac
import os
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from Crypto.Cipher import ChaCha20_Poly1305
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwcrypto import jwk
from nacl import bindings as sodium

from jose_engine import compile_policy
from jose_engine.bench import PEERS, Minter, Workload, peer_minters
from jose_engine.encoding import b64u_decode

# -- keys: kid -> jwcrypto.jwk.JWK.generate arguments (its alg decides the JWS/JWE alg) ------

KEY_SPECS: dict[str, dict[str, Any]] = {
    "hs256": {"kty": "oct", "size": 256, "alg": "HS256", "use": "sig"},
    "rs256": {"kty": "RSA", "size": 2048, "alg": "RS256", "use": "sig"},
    "ps256": {"kty": "RSA", "size": 2048, "alg": "PS256", "use": "sig"},
    "es256": {"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig"},
    "ed25519": {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig"},
    "dir-256": {"kty": "oct", "size": 256, "alg": "dir", "use": "enc"},
    "rsa-oaep-256": {"kty": "RSA", "size": 2048, "alg": "RSA-OAEP-256", "use": "enc"},
    "ecdh-es-a128kw": {"kty": "EC", "crv": "P-256", "alg": "ECDH-ES+A128KW", "use": "enc"},
}


@functools.cache
def keyset() -> dict[str, Any]:
    """The key set every case compiles with (made once per process; RSA is slow to make)."""
    keys = []
    for kid, spec in KEY_SPECS.items():
        key = jwk.JWK.generate(kid=kid, **spec)
        keys.append(key.export(private_key=True, as_dict=True))
    return {"keys": keys}


# -- policies and data --------------------------------------------------------------------------

def policy(sign: str | None, encrypt: str | None, method: str | None) -> dict[str, Any]:
    """The seed's basic-jwt policy, signing with ``sign`` and/or encrypting to ``encrypt``."""
    return {
        "type": "policy-jose-implementation", "active": True, "joseTarget": "BODY",
        "addIssueTime": True, "addJWTID": True, "addIssuer": True,
        "issuer": "https://myapi.com", "addAudience": True, "audienceList": ["api://myapi"],
        "addSubject": True, "subject": "user123", "addTypeToHeader": True, "typeValue": "JWT",
        "addExpirationTime": True, "expirationTimeValue": 3600, "expirationTimeUnit": "SECONDS",
        "additionalClaimMap": {"role": {"value": "admin", "valueType": "STRING"},
                               "permissions": {"value": "read,write",
                                               "valueType": "STRING_LIST"}},
        "sign": sign is not None, "signByIssuer": False, "jwkIdForValidationAndSign": sign,
        "encrypt": encrypt is not None, "encryptByIssuer": False,
        "jwkIdForDecryptionAndEncryption": encrypt, "encryptionMethod": method,
    }


SMALL_DATA = {"user": "alice", "scope": ["orders:read", "orders:write"], "tenant": 42}


def sized_data(size: int) -> dict[str, Any]:
    """Raw data whose compact JSON is about ``size`` octets: a list of small records."""
    items: list[dict[str, Any]] = []
    total = len(b'{"user":"alice","items":[]}')
    while total < size:
        item = {"id": len(items), "sku": f"SKU-{len(items):08d}", "qty": 3, "tags": ["a", "b"]}
        items.append(item)
        total += len(orjson.dumps(item)) + 1  # and its comma
    return {"user": "alice", "items": items}


# -- bare primitives ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Material:
    """What a bare recipe works on: the keys and messages of the size our token has."""

    sign_jwk: Any
    enc_jwk: Any
    signing_input: bytes   # JWS Signing Input (header.payload); nested: of the inner JWS
    plaintext: bytes       # what the JWE layer encrypts (claims, or the nested JWS)
    aad: bytes             # the JWE Protected Header segment

    @classmethod
    def of(cls, work: Workload) -> Material:
        keys = work.compiled.keys.keys
        render, sign, _ = work.stages()
        claims = render()
        jws = sign(claims) if sign else claims
        route = work.route
        sign_kid, encrypt_kid = route.sign_kid, route.encrypt_kid
        return cls(keys[sign_kid] if work.signs and sign_kid else None,
                   keys[encrypt_kid] if encrypt_kid else None,
                   jws.rsplit(b".", 1)[0], jws if work.signs else claims,
                   work.sample.split(".", 1)[0].encode())


Signer = Callable[[Material], Callable[[bytes], object]]
Sealer = Callable[[Material], Callable[[bytes, bytes], object]]


def hmac_sha256(m: Material) -> Callable[[bytes], object]:
    """HMAC keyed once; each message copies the keyed state (the fastest HMAC from Python)."""
    keyed = crypto_hmac.HMAC(b64u_decode(m.sign_jwk["k"]), hashes.SHA256())

    def sign(msg: bytes) -> bytes:
        h = keyed.copy()
        h.update(msg)
        return h.finalize()
    return sign


def hmac_digest(m: Material) -> Callable[[bytes], object]:
    """The standard library's one-shot ``hmac.digest``: it sets the key up on every call."""
    return functools.partial(hmac.digest, b64u_decode(m.sign_jwk["k"]), digest="sha256")


def rsa_pkcs1(m: Material) -> Callable[[bytes], object]:
    key = m.sign_jwk.get_op_key("sign")
    return lambda msg: key.sign(msg, padding.PKCS1v15(), hashes.SHA256())


def rsa_pss(m: Material) -> Callable[[bytes], object]:
    key, pss = m.sign_jwk.get_op_key("sign"), padding.PSS(padding.MGF1(hashes.SHA256()), 32)
    return lambda msg: key.sign(msg, pss, hashes.SHA256())


def ecdsa_p256(m: Material) -> Callable[[bytes], object]:
    key, scheme = m.sign_jwk.get_op_key("sign"), ec.ECDSA(hashes.SHA256())
    return lambda msg: key.sign(msg, scheme)  # DER; JOSE's R||S conversion is not counted


def ed25519(m: Material) -> Callable[[bytes], object]:
    key = m.sign_jwk.get_op_key("sign")
    return key.sign  # type: ignore[no-any-return]


def ed25519_sodium(m: Material) -> Callable[[bytes], object]:
    seed = b64u_decode(m.sign_jwk["d"])
    _, secret = sodium.crypto_sign_seed_keypair(seed)
    return lambda msg: sodium.crypto_sign(msg, secret)  # signature || message


def aes_gcm_dir(m: Material) -> Callable[[bytes, bytes], object]:
    aead, rng = AESGCM(b64u_decode(m.enc_jwk["k"])), os.urandom
    return lambda pt, aad: aead.encrypt(rng(12), pt, aad)


def aes_cbc_hs256_dir(m: Material) -> Callable[[bytes, bytes], object]:
    cek = b64u_decode(m.enc_jwk["k"])
    mac_key, aes = cek[:16], algorithms.AES(cek[16:])

    def seal(pt: bytes, aad: bytes) -> object:
        iv = os.urandom(16)
        padder = sym_padding.PKCS7(128).padder()
        enc = Cipher(aes, modes.CBC(iv)).encryptor()
        ct = enc.update(padder.update(pt) + padder.finalize()) + enc.finalize()
        al = struct.pack(">Q", len(aad) * 8)
        return ct, hmac.digest(mac_key, aad + iv + ct + al, "sha256")[:16]
    return seal


def xc20p_sodium(m: Material) -> Callable[[bytes, bytes], object]:
    key, seal = b64u_decode(m.enc_jwk["k"]), sodium.crypto_aead_xchacha20poly1305_ietf_encrypt
    return lambda pt, aad: seal(pt, aad, os.urandom(24), key)


def xc20p_pycryptodome(m: Material) -> Callable[[bytes, bytes], object]:
    key = b64u_decode(m.enc_jwk["k"])

    def seal(pt: bytes, aad: bytes) -> object:
        cipher = ChaCha20_Poly1305.new(key=key, nonce=os.urandom(24))
        cipher.update(aad)
        return cipher.encrypt_and_digest(pt)
    return seal


def rsa_oaep_gcm(m: Material) -> Callable[[bytes, bytes], object]:
    public = m.enc_jwk.get_op_key("wrapKey")
    oaep = padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)

    def seal(pt: bytes, aad: bytes) -> object:
        cek = os.urandom(32)
        return public.encrypt(cek, oaep), AESGCM(cek).encrypt(os.urandom(12), pt, aad)
    return seal


def ecdh_a128kw_gcm(m: Material) -> Callable[[bytes, bytes], object]:
    x, y = (int.from_bytes(b64u_decode(m.enc_jwk[c]), "big") for c in ("x", "y"))
    public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    # RFC 7518 §4.6.2: OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo.
    alg = b"ECDH-ES+A128KW"
    other = struct.pack(">I", len(alg)) + alg + b"\0" * 8 + struct.pack(">I", 128)

    def seal(pt: bytes, aad: bytes) -> object:
        ephemeral = ec.generate_private_key(ec.SECP256R1())
        z = ephemeral.exchange(ec.ECDH(), public)
        kek = ConcatKDFHash(hashes.SHA256(), 16, other).derive(z)
        cek = os.urandom(32)
        epk = ephemeral.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return epk, aes_key_wrap(kek, cek), AESGCM(cek).encrypt(os.urandom(12), pt, aad)
    return seal


# -- the table ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bare:
    """A bare recipe: sign the signing input, then seal the plaintext (either may be None)."""

    label: str
    sign: Signer | None = None
    seal: Sealer | None = None

    def minter(self, m: Material) -> Minter:
        sign = self.sign(m) if self.sign else None
        seal = self.seal(m) if self.seal else None
        msg, pt, aad = m.signing_input, m.plaintext, m.aad
        if sign is not None and seal is not None:
            def both() -> object:
                sign(msg)
                return seal(pt, aad)
            return both
        if sign is not None:
            return functools.partial(sign, msg)
        assert seal is not None
        return functools.partial(seal, pt, aad)


@dataclass(frozen=True)
class Case:
    """One group of the grid: a policy, its bare recipes and the peers timed against it."""

    name: str                    # pytest-benchmark group and report row
    kind: str                    # "JWS", "JWE" or "growth"
    sign: str | None             # kid of the signing key
    encrypt: str | None          # kid of the encryption key
    method: str | None           # policy encryptionMethod
    bare: tuple[Bare, ...]
    data_bytes: int = 0          # growth: size of the raw data; else the small data
    peers: tuple[str, ...] = PEERS

    @property
    def implementations(self) -> tuple[str, ...]:
        return ("ours", *(b.label for b in self.bare), *self.peers)

    def policy(self) -> dict[str, Any]:
        return policy(self.sign, self.encrypt, self.method)

    def data(self) -> dict[str, Any]:
        return sized_data(self.data_bytes) if self.data_bytes else SMALL_DATA


def _jws(name: str, kid: str, *bare: Bare) -> Case:
    return Case(name, "JWS", kid, None, None, bare)


def _jwe(name: str, sign: str | None, kid: str, method: str, *bare: Bare) -> Case:
    return Case(name, "JWE", sign, kid, method, bare)


GCM = Bare("bare", seal=aes_gcm_dir)
HS = Bare("bare", sign=hmac_sha256)

CASES: tuple[Case, ...] = (
    _jws("HS256", "hs256", HS, Bare("bare-hmac.digest", sign=hmac_digest)),
    _jws("RS256", "rs256", Bare("bare", sign=rsa_pkcs1)),
    _jws("PS256", "ps256", Bare("bare", sign=rsa_pss)),
    _jws("ES256", "es256", Bare("bare", sign=ecdsa_p256)),
    _jws("EdDSA", "ed25519", Bare("bare", sign=ed25519),
         Bare("bare-libsodium", sign=ed25519_sodium)),
    _jwe("dir+A256GCM", None, "dir-256", "A256GCM", GCM),
    _jwe("dir+A128CBC-HS256", None, "dir-256", "A128CBC_HS256",
         Bare("bare", seal=aes_cbc_hs256_dir)),
    _jwe("dir+XC20P", None, "dir-256", "XC20P", Bare("bare-libsodium", seal=xc20p_sodium),
         Bare("bare-pycryptodome", seal=xc20p_pycryptodome)),
    _jwe("RSA-OAEP-256+A256GCM", None, "rsa-oaep-256", "A256GCM",
         Bare("bare", seal=rsa_oaep_gcm)),
    _jwe("ECDH-ES+A128KW+A256GCM", None, "ecdh-es-a128kw", "A256GCM",
         Bare("bare", seal=ecdh_a128kw_gcm)),
    _jwe("HS256 > dir+A256GCM", "hs256", "dir-256", "A256GCM",
         Bare("bare", sign=hmac_sha256, seal=aes_gcm_dir)),
    _jwe("RS256 > RSA-OAEP-256+A256GCM", "rs256", "rsa-oaep-256", "A256GCM",
         Bare("bare", sign=rsa_pkcs1, seal=rsa_oaep_gcm)),
)

# Growth: raw data of 1 KB, 16 KB and 256 KB. Every peer runs, so that the fastest one at
# each size is measured rather than guessed from the small case.
GROWTH: tuple[Case, ...] = tuple(
    Case(f"{name} {size // 1024} KB", "growth", sign, encrypt, method, (bare,), size)
    for name, sign, encrypt, method, bare in (
        ("HS256", "hs256", None, None, HS),
        ("dir+A256GCM", None, "dir-256", "A256GCM", GCM),
    )
    for size in (1024, 16 * 1024, 256 * 1024)
)


# -- building the minters ---------------------------------------------------------------------

@dataclass(frozen=True)
class Built:
    """A case made ready: a minter per implementation, and why the missing ones are missing."""

    work: Workload
    minters: Mapping[str, Minter]
    skipped: Mapping[str, str]


@functools.cache
def build(case: Case) -> Built:
    """Compile the case's policy and prepare every implementation (not timed)."""
    compiled = compile_policy(case.policy(), keyset())
    # The raw data is parsed once, here; every implementation gets the same dict.
    work = Workload.build(compiled, orjson.dumps(case.data()), None)
    peers, skipped = peer_minters(work)
    material = Material.of(work)
    minters: dict[str, Minter] = {"ours": work.mint}
    minters.update((b.label, b.minter(material)) for b in case.bare)
    minters.update((name, fn) for name, fn in peers.items() if name in case.peers)
    return Built(work, minters, {k: v for k, v in skipped.items() if k in case.peers})

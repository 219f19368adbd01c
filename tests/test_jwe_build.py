"""build_encrypter: default algs, refusals, warnings, headers and per-token randomness."""

from __future__ import annotations

import base64
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from jwcrypto.jwk import JWK

from jose_engine.errors import KeySetError, SecurityWarning, UnsupportedError
from jose_engine.jwe import ENCRYPTION_METHODS, Encrypter, build_encrypter
from jose_engine.jwe._testing import _encrypt_for_test
from jose_engine.jwe.content import CONTENT_ENCRYPTION
from tests.jwe_oracle import decrypt, header_of
from tests.test_jwe_roundtrip import _curve_key, _oct, _rsa

SEED_ORDER = ("A128CBC_HS256", "A192CBC_HS384", "A256CBC_HS512", "A128CBC_HS256_DEPRECATED",
              "A256CBC_HS512_DEPRECATED", "A128GCM", "A192GCM", "A256GCM", "XC20P")


def jwk(base: JWK, **members: Any) -> JWK:
    """A copy of ``base`` (private members included) with ``members`` set."""
    data = {**base.export(private_key=True, as_dict=True), **members}
    return JWK(**{k: v for k, v in data.items() if v is not None})


def oct_key(size: int, **members: Any) -> JWK:
    return jwk(JWK.generate(kty="oct", size=8 * size), **members)


def build(key: JWK, method: str = "A256GCM", **kw: Any) -> Encrypter:
    options: dict[str, Any] = {"kid": "k1", "cty": None, "typ": None, "pbes2_count": 1000}
    options.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return build_encrypter(key, method, **options)


def test_encryption_methods_are_the_seeds_nine_in_order() -> None:
    """ENCRYPTION_METHODS lists the seed's EnumJwkEncryptionMethod in its order."""
    assert ENCRYPTION_METHODS == SEED_ORDER


# --- default alg when the JWK has none ---------------------------------------------------


@pytest.mark.parametrize("key,expected", [
    (lambda: _rsa(), "RSA-OAEP-256"),
    (lambda: _curve_key("EC", "P-256"), "ECDH-ES"),
    (lambda: _curve_key("EC", "P-521"), "ECDH-ES"),
    (lambda: _curve_key("OKP", "X25519"), "ECDH-ES"),
    (lambda: _curve_key("OKP", "X448"), "ECDH-ES"),
])
def test_asymmetric_keys_get_the_documented_default_alg(key: Any, expected: str) -> None:
    """RSA -> RSA-OAEP-256; EC, X25519, X448 -> ECDH-ES."""
    assert build(key()).alg == expected


@pytest.mark.parametrize("method", ENCRYPTION_METHODS)
def test_oct_key_of_the_cek_length_is_used_directly(method: str) -> None:
    """An oct key as long as the enc's CEK means dir, for every method."""
    assert build(_oct(CONTENT_ENCRYPTION[method].cek_len), method).alg == "dir"


@pytest.mark.parametrize("size,expected", [(16, "A128KW"), (24, "A192KW"), (32, "A256KW")])
def test_other_oct_lengths_choose_aes_key_wrap(size: int, expected: str) -> None:
    """An oct key that does not fit dir wraps the CEK with AES-KW of its own length."""
    method = "A256CBC_HS512"  # 64-octet CEK: no 16/24/32-octet key fits dir
    assert build(_oct(size), method).alg == expected


def test_jwk_alg_wins_over_the_default() -> None:
    """A JWK with its own alg is used with that alg (here RSA-OAEP on an RSA key)."""
    assert build(jwk(_rsa(), alg="RSA-OAEP")).alg == "RSA-OAEP"


def test_jwk_alg_naming_the_policy_enc_means_dir() -> None:
    """RFC 7520 §3.6 style: an oct JWK with alg A128GCM is a dir key for A128GCM."""
    assert build(oct_key(16, alg="A128GCM"), "A128GCM").alg == "dir"


def test_pbes2_is_never_a_default() -> None:
    """A password key needs its JWK alg to name PBES2; otherwise it is a plain KW key."""
    assert build(_oct(32), "A128GCM").alg == "A256KW"
    assert build(oct_key(32, alg="PBES2-HS256+A128KW"), "A128GCM").alg == "PBES2-HS256+A128KW"


# --- refusals ------------------------------------------------------------------------------

BAD_KEYS: list[tuple[str, Any, str]] = [
    ("rsa key for aes wrap", lambda: jwk(_rsa(), alg="A128KW"), "A256GCM"),
    ("oct key for rsa", lambda: oct_key(32, alg="RSA-OAEP"), "A256GCM"),
    ("ec key for dir", lambda: jwk(_curve_key("EC", "P-256"), alg="dir"), "A256GCM"),
    ("ed25519 for ecdh", lambda: JWK.generate(kty="OKP", crv="Ed25519"), "A256GCM"),
    ("secp256k1 for ecdh", lambda: JWK.generate(kty="EC", crv="secp256k1"), "A256GCM"),
    ("rsa under 2048 bits", lambda: JWK.generate(kty="RSA", size=1024), "A256GCM"),
    ("dir key too short", lambda: oct_key(16, alg="dir"), "A256GCM"),
    ("dir key too long", lambda: oct_key(32, alg="dir"), "A128GCM"),
    ("oct of no usable length", lambda: oct_key(20), "A128GCM"),
    ("a128kw with 32 octets", lambda: oct_key(32, alg="A128KW"), "A128GCM"),
    ("gcmkw with 16 octets", lambda: oct_key(16, alg="A256GCMKW"), "A128GCM"),
    ("signing use", lambda: jwk(_rsa(), use="sig"), "A256GCM"),
    ("key_ops sign only", lambda: oct_key(32, key_ops=["sign", "verify"]), "A256GCM"),
    ("key_ops verify only", lambda: jwk(_rsa(), key_ops=["verify"]), "A256GCM"),
    ("key_ops encrypt on ecdh", lambda: jwk(_curve_key("EC", "P-256"), key_ops=["encrypt"]),
     "A256GCM"),
    ("key_ops wrapKey on dir", lambda: oct_key(32, key_ops=["wrapKey"]), "A256GCM"),
    ("jws alg", lambda: jwk(_rsa(), alg="RS256"), "A256GCM"),
    ("unknown alg", lambda: oct_key(32, alg="A512KW"), "A256GCM"),
    ("jwk for another enc", lambda: oct_key(16, alg="A128GCM"), "A128CBC_HS256"),
]


@pytest.mark.parametrize("case,make,method", BAD_KEYS, ids=[c[0] for c in BAD_KEYS])
def test_unfit_key_is_refused_naming_its_kid(case: str, make: Any, method: str) -> None:
    """Every unfit key raises KeySetError with the kid and no key material in the message."""
    key = make()
    with pytest.raises(KeySetError) as caught:
        build(key, method, kid="the-kid")
    assert caught.value.kid == "the-kid"
    assert caught.value.code == "invalid_key"
    secrets = [v for k, v in key.export(private_key=True, as_dict=True).items()
               if k in {"k", "d", "p", "q", "dp", "dq", "qi", "n", "x", "y"}]
    assert not any(s[:12] in str(caught.value) for s in secrets)


def test_refusal_without_kid_argument_names_the_jwk_kid() -> None:
    """With kid=None the error names the JWK's own kid."""
    with pytest.raises(KeySetError) as caught:
        build(oct_key(20, kid="from-jwk"), "A128GCM", kid=None)
    assert caught.value.kid == "from-jwk"


@pytest.mark.parametrize("ops,alg", [
    (["encrypt"], None), (["wrapKey"], "RSA-OAEP-256"), (["encrypt"], "RSA-OAEP"),
    (["deriveKey"], "ECDH-ES"), (["deriveBits"], "ECDH-ES+A128KW"),
])
def test_key_ops_that_allow_the_alg_are_accepted(ops: list[str], alg: str | None) -> None:
    """key_ops naming the operation the alg performs are fine (RFC 7517 §4.3)."""
    base = _curve_key("EC", "P-256") if alg and alg.startswith("ECDH") else _rsa()
    if alg is None:
        base = _oct(32)
    assert build(jwk(base, key_ops=ops, alg=alg)).alg == (alg or "dir")


def test_unknown_method_is_unsupported() -> None:
    """A method outside the nine raises UnsupportedError listing the allowed ones."""
    with pytest.raises(UnsupportedError, match="A128CBC_HS256"):
        build(_oct(32), "A512GCM")


def test_pbes2_count_below_1000_is_unsupported() -> None:
    """RFC 7518 §4.8.1.2's minimum of 1000 iterations is enforced."""
    with pytest.raises(UnsupportedError, match="pbes2_count"):
        build(oct_key(12, alg="PBES2-HS256+A128KW"), pbes2_count=999)


def test_header_text_that_is_not_unicode_is_refused() -> None:
    """A kid or cty with a lone surrogate cannot go into a UTF-8 JSON header."""
    with pytest.raises(KeySetError):
        build(_oct(32), kid="bad\ud800")
    with pytest.raises(UnsupportedError):
        build(_oct(32), cty="bad\ud800")


# --- warnings ------------------------------------------------------------------------------


@pytest.mark.parametrize("alg,method,count", [
    ("RSA1_5", "A128GCM", 1),
    ("RSA-OAEP-256", "A128CBC_HS256_DEPRECATED", 1),
    ("RSA-OAEP-256", "A256CBC_HS512_DEPRECATED", 1),
    ("RSA1_5", "A256CBC_HS512_DEPRECATED", 2),
    ("RSA-OAEP-256", "A128GCM", 0),
])
def test_weak_choices_warn_once_at_build_time(alg: str, method: str, count: int) -> None:
    """RSA1_5 and the deprecated methods warn once when built, never per token."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        encrypter = build_encrypter(jwk(_rsa(), alg=alg), method, kid=None, cty=None, typ=None)
        encrypter.encrypt(b"one")
        encrypter.encrypt(b"two")
    assert [w.category for w in caught] == [SecurityWarning] * count


# --- headers ---------------------------------------------------------------------------------


def test_static_header_members_and_order() -> None:
    """alg, enc, kid, cty, typ in that order, compact, and nothing else for dir."""
    token = build(_oct(32), kid="k1", cty="JWT", typ="JWT").encrypt(b"x")
    segment = token.split(b".")[0]
    raw = base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))
    assert raw == b'{"alg":"dir","enc":"A256GCM","kid":"k1","cty":"JWT","typ":"JWT"}'


def test_absent_header_arguments_are_left_out() -> None:
    """kid, cty and typ appear only when given, even if the JWK has a kid."""
    token = build(oct_key(32, kid="jwk-kid"), kid=None).encrypt(b"x")
    assert header_of(token) == {"alg": "dir", "enc": "A256GCM"}


def test_non_ascii_kid_is_escaped_and_round_trips() -> None:
    """The header is ASCII-only JSON; a non-ASCII kid survives as the same text."""
    token = build(_oct(32), kid="clé-κλειδί").encrypt(b"x")
    assert token.split(b".")[0].isascii()
    assert b"\\u00e9" in base64.urlsafe_b64decode(token.split(b".")[0] + b"==")
    assert header_of(token)["kid"] == "clé-κλειδί"
    assert decrypt(token, dict(_oct(32).export(as_dict=True))) == b"x"


def test_pbes2_header_carries_the_default_count() -> None:
    """PBES2 tokens carry p2c = 600000 by default and a 16-octet p2s."""
    key = oct_key(12, alg="PBES2-HS256+A128KW")
    encrypter = build_encrypter(key, "A128GCM", kid=None, cty=None, typ=None)
    header = header_of(encrypter.encrypt(b"x"))
    assert header["p2c"] == 600_000
    assert len(base64.urlsafe_b64decode(header["p2s"] + "==")) == 16


# --- per-token work ----------------------------------------------------------------------------


class RecordingRng:
    """An RNG that records the sizes asked of it."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, size: int) -> bytes:
        with self._lock:
            self.sizes.append(size)
        return bytes(range(size))


@pytest.mark.parametrize("key,method,sizes", [
    (lambda: _oct(32), "A256GCM", [12]),
    (lambda: _oct(32), "XC20P", [24]),
    (lambda: _oct(32), "A128CBC_HS256", [16]),
    (lambda: _oct(16), "A128CBC_HS256", [32, 16]),
    (lambda: _oct(16), "A256CBC_HS512_DEPRECATED", [64, 16]),
    (lambda: oct_key(32, alg="A256GCMKW"), "A128GCM", [16, 12, 12]),
    (lambda: oct_key(8, alg="PBES2-HS256+A128KW"), "A192GCM", [24, 16, 12]),
    (lambda: _rsa(), "A192CBC_HS384", [48, 16]),
    (lambda: _curve_key("EC", "P-256"), "A256GCM", [12]),
])
def test_each_token_draws_only_its_own_randomness(key: Any, method: str,
                                                  sizes: list[int]) -> None:
    """Per token: a CEK when it is random, key-wrap salts/IVs, and an IV of the enc's size."""
    rng = RecordingRng()
    encrypter = build(key(), method, rng=rng)
    assert rng.sizes == []  # nothing random is drawn at build time
    encrypter.encrypt(b"payload")
    assert rng.sizes == sizes


@pytest.mark.parametrize("key,header_varies", [
    (lambda: _oct(16), False), (lambda: _rsa(), False),
    (lambda: _curve_key("OKP", "X25519"), True),
    (lambda: oct_key(32, alg="A256GCMKW"), True),
    (lambda: oct_key(8, alg="PBES2-HS256+A128KW"), True),
])
def test_two_tokens_share_no_random_segment(key: Any, header_varies: bool) -> None:
    """Encrypted key, IV, ciphertext and tag differ between two tokens of one plaintext;
    so does the header when it carries epk, the GCMKW iv/tag or p2s."""
    encrypter = build(key(), "A128GCM")
    first, second = encrypter.encrypt(b"same").split(b"."), encrypter.encrypt(b"same").split(b".")
    assert (first[0] != second[0]) == header_varies
    for a, b in zip(first[1:], second[1:], strict=True):
        assert a != b or a == b""  # dir and direct ECDH-ES have an empty encrypted key


def test_private_jwk_is_accepted_and_its_public_half_used() -> None:
    """A private RSA JWK encrypts like its public half; the token decrypts."""
    private = _rsa()
    token = build(private).encrypt(b"secret")
    assert decrypt(token, dict(private.export(private_key=True, as_dict=True))) == b"secret"


def test_encrypter_is_immutable_and_describes_itself() -> None:
    """alg, enc and kid are readable; nothing can be set."""
    encrypter = build(_oct(32), "A256GCM", kid="k1")
    assert (encrypter.alg, encrypter.enc, encrypter.kid) == ("dir", "A256GCM", "k1")
    with pytest.raises(AttributeError):
        encrypter.alg = "none"
    assert "k1" in repr(encrypter) and _oct(32)["k"] not in repr(encrypter)


def test_encrypter_is_safe_to_share_between_threads() -> None:
    """Tokens minted concurrently from one encrypter all decrypt."""
    key = _curve_key("EC", "P-256")
    encrypter = build(key, "A128CBC_HS256")
    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(lambda i: encrypter.encrypt(b"%d" % i), range(64)))
    private = dict(key.export(private_key=True, as_dict=True))
    assert [decrypt(t, private) for t in tokens] == [b"%d" % i for i in range(64)]


def test_test_hook_refuses_a_cek_the_alg_derives() -> None:
    """The test-only hook cannot inject a CEK into dir or direct ECDH-ES."""
    with pytest.raises(ValueError):
        _encrypt_for_test(build(_oct(32)), b"x", cek=bytes(32))

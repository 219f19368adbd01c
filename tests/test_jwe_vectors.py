"""Our JWE pieces against the published vectors, byte for byte where the vector fixes CEK/IV.

Randomized steps (RSA key encryption) are checked by unwrapping; cookbook headers whose
member order differs from ours are compared as JSON, and their ciphertext and tag are
reproduced through the content seam with the published AAD.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import warnings
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, x448, x25519
from jwcrypto.jwk import JWK

from jose_engine.errors import SecurityWarning
from jose_engine.jwe import build_encrypter
from jose_engine.jwe._testing import _deliver_for_test, _encrypt_for_test
from jose_engine.jwe.concatkdf import concat_kdf, other_info
from jose_engine.jwe.content import BY_ENC, CONTENT_ENCRYPTION
from jose_engine.jwe.ecdh import CURVES
from jose_engine.jwe.legacy import derive_cek_cik
from tests.jwe_oracle import decrypt, header_of
from tests.vectorfiles import load, octets


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def build(jwk: dict[str, Any], enc: str, **kw: Any) -> Any:
    """An encrypter for a vector's JWK and wire ``enc``, SecurityWarnings silenced."""
    options = {"kid": None, "cty": None, "typ": None, **kw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return build_encrypter(JWK(**jwk), BY_ENC[enc].method, **options)


def rsa_unwrap(jwk: dict[str, Any], alg: str, encrypted_key: bytes) -> bytes:
    private = JWK(**jwk).get_op_key("decrypt")
    pad: padding.AsymmetricPadding = padding.PKCS1v15()
    if alg == "RSA-OAEP":
        pad = padding.OAEP(padding.MGF1(hashes.SHA1()), hashes.SHA1(), None)
    return bytes(private.decrypt(encrypted_key, pad))


# --- RFC 7518 Appendix B: AES_CBC_HMAC_SHA2 ---------------------------------------------


@pytest.mark.parametrize("path", ["rfc7518/B.1_A128CBC-HS256.json",
                                  "rfc7518/B.2_A192CBC-HS384.json",
                                  "rfc7518/B.3_A256CBC-HS512.json"])
def test_cbc_hmac_seam_reproduces_rfc7518_appendix_b(path: str) -> None:
    """(K, IV, A, P) -> (E, T) exactly as RFC 7518 B.1-B.3 print them."""
    v = load(path)
    h = {k: octets(v[k], "hex") for k in ("K", "IV", "A", "P", "E", "T")}
    method = BY_ENC[v["enc"]]
    assert method.seal(h["K"], h["IV"], h["A"], h["P"]) == (h["E"], h["T"])


# --- RFC 7516 Appendix A ------------------------------------------------------------------


def test_a128kw_token_matches_rfc7516_a3_byte_for_byte() -> None:
    """RFC 7516 A.3 (A128KW + A128CBC-HS256) is reproduced exactly with its CEK and IV."""
    v = load("rfc7516/A.3_A128KW_A128CBC-HS256.json")
    encrypter = build(v["jwk"], v["enc"])
    assert encrypter.alg == "A128KW"  # default for a 16-octet oct key under a 32-octet CEK
    token = _encrypt_for_test(encrypter, bytes(v["plaintext_octets"]),
                              cek=bytes(v["cek_octets"]), iv=bytes(v["iv_octets"]))
    assert token.decode() == v["compact"]


@pytest.mark.parametrize("path", ["rfc7516/A.1_RSA-OAEP_A256GCM.json",
                                  "rfc7516/A.2_RSA1_5_A128CBC-HS256.json"])
def test_rsa_token_matches_rfc7516_except_randomized_key(path: str) -> None:
    """RFC 7516 A.1/A.2: header, IV, ciphertext and tag exact; the key unwraps to the CEK."""
    v = load(path)
    cek = bytes(v["cek_octets"])
    encrypter = build({**v["jwk"], "alg": v["alg"]}, v["enc"])
    token = _encrypt_for_test(encrypter, bytes(v["plaintext_octets"]), cek=cek,
                              iv=bytes(v["iv_octets"]))
    ours, theirs = token.decode().split("."), v["compact"].split(".")
    assert [ours[0], *ours[2:]] == [theirs[0], *theirs[2:]]
    assert rsa_unwrap(v["jwk"], v["alg"], octets(ours[1])) == cek


# --- RFC 7518 Appendix C and RFC 8037 A.6/A.7: ECDH-ES pieces ------------------------------


def test_ecdh_and_concat_kdf_reproduce_rfc7518_appendix_c() -> None:
    """Z, every OtherInfo part and the derived A128GCM key of RFC 7518 C."""
    v = load("rfc7518/C_ECDH-ES.json")
    alice = v["alice_ephemeral_jwk"]
    ephemeral = ec.derive_private_key(int.from_bytes(octets(alice["d"]), "big"), ec.SECP256R1())
    curve = CURVES["P-256"]
    z = curve.exchange(ephemeral, JWK(**v["bob_jwk"]).get_op_key("encrypt"))
    assert z == bytes(v["Z_octets"])
    info = other_info(b"A128GCM", 128, apu=b"Alice", apv=b"Bob")
    parts = [bytes(v[k]) for k in ("algorithm_id_octets", "party_u_info_octets",
                                   "party_v_info_octets", "supp_pub_info_octets")]
    assert info == b"".join(parts)
    assert b"\x00\x00\x00\x01" + z + info == bytes(v["concat_kdf_round1_input_octets"])
    assert concat_kdf(z, info, 16) == bytes(v["derived_key_octets"])
    assert curve.epk(ephemeral.public_key()) == v["protected_header"]["epk"]


@pytest.mark.parametrize("path,private_cls", [
    ("rfc8037/A.6_ECDH-ES_X25519.json", x25519.X25519PrivateKey),
    ("rfc8037/A.7_ECDH-ES_X448.json", x448.X448PrivateKey),
])
def test_okp_agreement_reproduces_rfc8037(path: str, private_cls: Any) -> None:
    """RFC 8037 A.6/A.7: our epk and Z from the published ephemeral secret; Bob decrypts."""
    v = load(path)
    ephemeral = private_cls.from_private_bytes(octets(v["ephemeral_secret_hex"], "hex"))
    curve = CURVES[v["bob_public_jwk"]["crv"]]
    bob_public = JWK(**v["bob_public_jwk"]).get_op_key("encrypt")
    assert curve.exchange(ephemeral, bob_public) == octets(v["Z_hex"], "hex")
    encrypter = build({**v["bob_public_jwk"], "alg": v["alg"]}, v["enc"],
                      kid=v["bob_public_jwk"]["kid"])
    token = _encrypt_for_test(encrypter, b"Example", ephemeral_key=ephemeral)
    assert header_of(token)["epk"] == v["ephemeral_public_jwk"]
    bob_private = {**v["bob_public_jwk"], "d": b64(octets(v["bob_private_key_hex"], "hex"))}
    assert decrypt(token, bob_private) == b"Example"


# --- RFC 7520 §5: the cookbook ---------------------------------------------------------------


def _ephemeral_from(epk: dict[str, str]) -> Any:
    d = octets(epk["d"])
    if epk["kty"] == "EC":
        curves = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}
        return ec.derive_private_key(int.from_bytes(d, "big"), curves[epk["crv"]])
    return x25519.X25519PrivateKey.from_private_bytes(d)


def _cookbook_case(path: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(vector, recipient JWK, injected values) for one RFC 7520 §5 file."""
    v = load(path)
    jwk = copy.deepcopy(v["input"].get("key") or {})
    if "pwd" in v["input"]:  # §5.3: a password, used as the octets of an oct key
        jwk = {"kty": "oct", "k": b64(v["input"]["pwd"].encode())}
    if v["input"]["alg"] != "dir":
        jwk["alg"] = v["input"]["alg"]
    key_step = v.get("encrypting_key", {})
    inject: dict[str, Any] = {"iv": octets(v["generated"]["iv"])}
    if "cek" in v["generated"]:
        inject["cek"] = octets(v["generated"]["cek"])
    if "epk" in key_step:
        inject["ephemeral_key"] = _ephemeral_from(key_step["epk"])
    if "salt" in key_step:
        inject["p2s"] = octets(key_step["salt"])
    if "iv" in key_step:
        inject["kw_iv"] = octets(key_step["iv"])
    return v, jwk, inject


COOKBOOK = [
    "rfc7520/jwe/5_1.key_encryption_using_rsa_v15_and_aes-hmac-sha2.json",
    "rfc7520/jwe/5_2.key_encryption_using_rsa-oaep_with_aes-gcm.json",
    "rfc7520/jwe/5_3.key_wrap_using_pbes2-aes-keywrap_with-aes-cbc-hmac-sha2.json",
    "rfc7520/jwe/5_4.key_agreement_with_key_wrapping_using_ecdh-es_and_aes-keywrap_with_"
    "aes-gcm.json",
    "rfc7520/jwe/5_5.key_agreement_using_ecdh-es_with_aes-cbc-hmac-sha2.json",
    "rfc7520/jwe/5_6.direct_encryption_using_aes-gcm.json",
    "rfc7520/jwe/5_7.key_wrap_using_aes-gcm_keywrap_with_aes-cbc-hmac-sha2.json",
    "rfc7520/jwe/5_8.key_wrap_using_aes-keywrap_with_aes-gcm.json",
    "rfc7520/jwe/5_9.compressed_content.json",
]


@pytest.mark.parametrize("path", COOKBOOK)
def test_cookbook_example_is_reproduced(path: str) -> None:
    """RFC 7520 §5.1-5.9: same header members, encrypted key (when deterministic), IV,
    and the published ciphertext and tag through our seam; our token decrypts."""
    v, jwk, inject = _cookbook_case(path)
    content = v["encrypting_content"]
    protected = {k: val for k, val in content["protected"].items() if k != "zip"}
    encrypter = build(jwk, v["input"]["enc"], kid=protected.get("kid"), cty=protected.get("cty"),
                      pbes2_count=protected.get("p2c", 600_000))
    plaintext = v["input"]["plaintext"].encode()
    token = _encrypt_for_test(encrypter, plaintext, **inject).decode()
    segments = token.split(".")
    assert header_of(token) == protected
    assert segments[2] == v["generated"]["iv"]
    if "encrypted_key" in v.get("encrypting_key", {}) and not jwk.get("alg", "").startswith("RSA"):
        assert segments[1] == v["encrypting_key"]["encrypted_key"]
    cek = inject.get("cek") or octets(v.get("encrypting_key", {}).get("cek") or jwk["k"])
    sealed = octets(v["generated"].get("plaintext_c", b64(plaintext)))  # §5.9: compressed
    method = BY_ENC[v["input"]["enc"]]
    expected = (octets(content["ciphertext"]), octets(content["tag"]))
    assert method.seal(cek, inject["iv"], content["protected_b64u"].encode(), sealed) == expected
    assert decrypt(token, v["input"].get("key") or jwk) == plaintext


def test_direct_ecdh_derives_the_cookbook_cek() -> None:
    """RFC 7520 §5.5: the published ephemeral key makes the published CEK."""
    v, jwk, inject = _cookbook_case(COOKBOOK[4])
    encrypter = build(jwk, v["input"]["enc"])
    delivery = _deliver_for_test(encrypter, ephemeral_key=inject["ephemeral_key"])
    assert delivery.cek == octets(v["encrypting_key"]["cek"])
    assert delivery.encrypted_key == b""


def test_rsa_cookbook_keys_unwrap_to_the_injected_cek() -> None:
    """RFC 7520 §5.1/5.2: the randomized encrypted key still carries the given CEK."""
    for path in COOKBOOK[:2]:
        v, jwk, inject = _cookbook_case(path)
        delivery = _deliver_for_test(build(jwk, v["input"]["enc"]), cek=inject["cek"])
        assert rsa_unwrap(v["input"]["key"], jwk["alg"], delivery.encrypted_key) == inject["cek"]


# --- RFC 7520 §6: the nested token ----------------------------------------------------------


def test_nested_jwt_example_is_reproduced_and_its_jws_verifies() -> None:
    """RFC 7520 §6: cty JWT header, published ciphertext/tag via the seam, and the JWS we
    decrypt from our own token verifies (PS256) to the published claims."""
    from joserfc import jws
    from joserfc.jwk import import_key

    v = load("rfc7520/6.nesting_signatures_and_encryption.json")
    step = v["encrypt"]
    key = step["input"]["key"]
    inject = {"cek": octets(step["generated"]["cek"]), "iv": octets(step["generated"]["iv"])}
    encrypter = build(key, "A128GCM", cty="JWT")
    assert encrypter.alg == "RSA-OAEP"  # from the JWK's own "alg"
    jws_text = step["input"]["plaintext"].encode()
    token = _encrypt_for_test(encrypter, jws_text, **inject)
    assert header_of(token) == step["encrypting_content"]["protected"]
    content = step["encrypting_content"]
    sealed = CONTENT_ENCRYPTION["A128GCM"].seal(inject["cek"], inject["iv"],
                                                content["protected_b64u"].encode(), jws_text)
    assert sealed == (octets(content["ciphertext"]), octets(content["tag"]))
    inner = decrypt(token, key)
    verified = jws.deserialize_compact(inner, import_key(v["sign"]["input"]["key"]),
                                       algorithms=["PS256"])
    assert verified.payload == v["sign"]["input"]["payload"].encode()


# --- XC20P -----------------------------------------------------------------------------------


def test_xc20p_seam_reproduces_xchacha_aead_vector() -> None:
    """draft-irtf-cfrg-xchacha-03 A.3.1: key, IV, AAD, plaintext -> ciphertext, tag."""
    v = load("xchacha/draft-irtf-cfrg-xchacha-03_A.3.1_AEAD_XChaCha20_Poly1305.json")
    h = {k: octets(v[k], "hex") for k in ("key", "iv", "aad", "plaintext", "ciphertext", "tag")}
    sealed = CONTENT_ENCRYPTION["XC20P"].seal(h["key"], h["iv"], h["aad"], h["plaintext"])
    assert sealed == (h["ciphertext"], h["tag"])


def _hchacha20(key: bytes, nonce: bytes) -> bytes:
    """HChaCha20 from draft-irtf-cfrg-xchacha-03 §2.2, for checking the construction."""
    def rotl(x: int, n: int) -> int:
        return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF

    def quarter(s: list[int], a: int, b: int, c: int, d: int) -> None:
        # RFC 8439 §2.1: a += b; d ^= a; d <<<= 16; c += d; b ^= c; b <<<= 12; then 8, 7.
        for x, y, z, r in ((a, b, d, 16), (c, d, b, 12), (a, b, d, 8), (c, d, b, 7)):
            s[x] = (s[x] + s[y]) & 0xFFFFFFFF
            s[z] = rotl(s[z] ^ s[x], r)

    words = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    words += [int.from_bytes(key[i:i + 4], "little") for i in range(0, 32, 4)]
    words += [int.from_bytes(nonce[i:i + 4], "little") for i in range(0, 16, 4)]
    for _ in range(10):
        for a, b, c, d in ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                           (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)):
            quarter(words, a, b, c, d)
    return b"".join(w.to_bytes(4, "little") for w in words[0:4] + words[12:16])


def test_xc20p_is_hchacha20_subkey_then_ietf_chacha20_poly1305() -> None:
    """xc20p.md's construction: subkey = HChaCha20(CEK, IV[:16]), nonce 0^4 || IV[16:]."""
    from nacl.bindings import crypto_aead_chacha20poly1305_ietf_encrypt

    hv = load("xchacha/draft-irtf-cfrg-xchacha-03_2.2.1_HChaCha20.json")
    assert _hchacha20(octets(hv["key"], "hex"), octets(hv["nonce"], "hex")) == \
        octets(hv["subkey"], "hex")
    v = load("xchacha/draft-irtf-cfrg-xchacha-03_A.3.1_AEAD_XChaCha20_Poly1305.json")
    key, iv, aad = (octets(v[k], "hex") for k in ("key", "iv", "aad"))
    plaintext = octets(v["plaintext"], "hex")
    subkey = _hchacha20(key, iv[:16])
    out = crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, aad, b"\0" * 4 + iv[16:], subkey)
    assert CONTENT_ENCRYPTION["XC20P"].seal(key, iv, aad, plaintext) == (out[:-16], out[-16:])


def test_did_jwt_xc20p_tokens_are_reproduced_byte_for_byte() -> None:
    """did-jwt's three good dir+XC20P tokens come out exactly with their key and IV."""
    v = load("xc20p/did-jwt_dir_XC20P.json")
    for case in v["pass"]:
        encrypter = build(case["jwk"], "XC20P")
        iv = octets(case["flattened_json"]["iv"])
        token = _encrypt_for_test(encrypter, case["plaintext_utf8"].encode(), iv=iv)
        assert token.decode() == case["compact"]


def test_did_jwt_failing_xc20p_tokens_are_not_what_their_keys_make() -> None:
    """For the three refused tokens, our seal under the given key gives a different tag."""
    v = load("xc20p/did-jwt_dir_XC20P.json")
    plaintext = v["pass"][0]["plaintext_utf8"].encode()
    for case in v["fail"]:
        flat = case["flattened_json"]
        key = octets(case["jwk"]["k"])
        _, tag = CONTENT_ENCRYPTION["XC20P"].seal(key, octets(flat["iv"]),
                                                  flat["protected"].encode(), plaintext)
        assert tag != octets(flat["tag"])


# --- the deprecated CBC methods ---------------------------------------------------------


def test_legacy_kdf_reproduces_draft08_cek_and_cik() -> None:
    """draft-08 A.4/A.5: CMK -> CEK and CIK for both legacy methods."""
    v = load("deprecated/draft-ietf-jose-json-web-encryption-08_A.4-A.5_ConcatKDF_CEK_CIK.json")
    for enc, h in (("A128CBC+HS256", hashlib.sha256), ("A256CBC+HS512", hashlib.sha512)):
        case = v[enc]
        cek, cik = derive_cek_cik(bytes(case["cmk_octets"]), enc.encode(), h)
        assert (cek, cik) == (bytes(case["cek_octets"]), bytes(case["cik_octets"]))


def test_legacy_seam_reproduces_draft08_ciphertext_and_integrity_value() -> None:
    """draft-08 A.2: with the token's own first two segments, the seal gives its CT and tag."""
    v = load("deprecated/draft-ietf-jose-json-web-encryption-08_A.2_RSA1_5_A128CBC+HS256.json")
    header, encrypted_key, iv, ciphertext, tag = v["compact"].split(".")
    method = CONTENT_ENCRYPTION["A128CBC_HS256_DEPRECATED"]
    aad = method.aad_for(header.encode(), encrypted_key.encode())
    sealed = method.seal(bytes(v["cmk_octets"]), octets(iv), aad, v["plaintext_utf8"].encode())
    assert sealed == (octets(ciphertext), octets(tag))
    assert b64(sealed[1]) == v["integrity_value_b64u"]


def test_legacy_token_header_matches_draft08_and_decrypts() -> None:
    """Our RSA1_5 + A128CBC+HS256 token has the draft's header and decrypts independently."""
    v = load("deprecated/draft-ietf-jose-json-web-encryption-08_A.2_RSA1_5_A128CBC+HS256.json")
    encrypter = build({**v["jwk"], "alg": "RSA1_5"}, "A128CBC+HS256")
    token = _encrypt_for_test(encrypter, v["plaintext_utf8"].encode(),
                              cek=bytes(v["cmk_octets"]), iv=octets(v["iv_b64u"]))
    ours, theirs = token.decode().split("."), v["compact"].split(".")
    assert (ours[0], ours[2], ours[3]) == (theirs[0], theirs[2], theirs[3])
    assert decrypt(token, v["jwk"]) == v["plaintext_utf8"].encode()

"""The independent JWE decrypters read the published vectors: proof before they judge us."""

from __future__ import annotations

import base64

import pytest

from tests import legacy_decrypt
from tests.jwe_oracle import Refused, decrypt
from tests.vectorfiles import files, load


@pytest.mark.parametrize("path", files("rfc7516/*.json"))
def test_oracle_decrypts_rfc7516_examples(path: str) -> None:
    """joserfc decrypts RFC 7516 A.1-A.3 to the published plaintext."""
    v = load(path)
    assert decrypt(v["compact"], v["jwk"]) == v["plaintext_utf8"].encode()


_PBES2_EXAMPLE = "rfc7520/jwe/5_3.key_wrap_using_pbes2-aes-keywrap_with-aes-cbc-hmac-sha2.json"
_COOKBOOK_COMPACT = [p for p in files("rfc7520/jwe/5_*.json")
                     if p != _PBES2_EXAMPLE and "compact" in load(p)["output"]]


@pytest.mark.parametrize("path", _COOKBOOK_COMPACT)
def test_oracle_decrypts_rfc7520_compact_examples(path: str) -> None:
    """joserfc decrypts each RFC 7520 §5 example that has a compact form."""
    v = load(path)
    assert decrypt(v["output"]["compact"], v["input"]["key"]) == v["input"]["plaintext"].encode()


def test_oracle_decrypts_rfc7520_pbes2_example() -> None:
    """RFC 7520 §5.3 (PBES2, password input) decrypts with the password as an oct key."""
    v = load(_PBES2_EXAMPLE)
    password = v["input"]["pwd"].encode()
    jwk = {"kty": "oct", "k": base64.urlsafe_b64encode(password).decode().rstrip("=")}
    assert decrypt(v["output"]["compact"], jwk) == v["input"]["plaintext"].encode()


def test_oracle_decrypts_did_jwt_xc20p_passes_and_refuses_fails() -> None:
    """The did-jwt XC20P file: three tokens decrypt, three are refused."""
    v = load("xc20p/did-jwt_dir_XC20P.json")
    for case in v["pass"]:
        assert decrypt(case["compact"], case["jwk"]) == case["plaintext_utf8"].encode()
    for case in v["fail"]:
        with pytest.raises(Refused):
            decrypt(case["compact"], case["jwk"])


def test_legacy_decrypter_reproduces_draft08_key_derivation() -> None:
    """legacy_decrypt derives the draft-08 A.4/A.5 CEK and CIK from the CMK."""
    v = load("deprecated/draft-ietf-jose-json-web-encryption-08_A.4-A.5_ConcatKDF_CEK_CIK.json")
    for enc in legacy_decrypt.METHODS:
        case = v[enc]
        cek, cik = legacy_decrypt.derive(bytes(case["cmk_octets"]), enc)
        assert (cek, cik) == (bytes(case["cek_octets"]), bytes(case["cik_octets"]))


def test_oracle_decrypts_draft08_legacy_token() -> None:
    """The draft-08 A.2 RSA1_5 + A128CBC+HS256 token decrypts end to end."""
    v = load("deprecated/draft-ietf-jose-json-web-encryption-08_A.2_RSA1_5_A128CBC+HS256.json")
    assert decrypt(v["compact"], v["jwk"]) == v["plaintext_utf8"].encode()


def test_oracle_refuses_draft08_token_with_flipped_tag() -> None:
    """A changed integrity value is refused by the legacy decrypter."""
    v = load("deprecated/draft-ietf-jose-json-web-encryption-08_A.2_RSA1_5_A128CBC+HS256.json")
    head, tag = v["compact"].rsplit(".", 1)
    raw = bytearray(legacy_decrypt.b64d(tag))
    raw[0] ^= 1
    forged = head + "." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(Refused):
        decrypt(forged, v["jwk"])


def test_oracle_xchacha20_stream_matches_draft_a32() -> None:
    """pycryptodome's XChaCha20 (behind joserfc's XC20P) gives draft A.3.2's ciphertexts."""
    from Crypto.Cipher import ChaCha20

    v = load("xchacha/draft-irtf-cfrg-xchacha-03_A.3.2_XChaCha20.json")
    key, iv, plaintext = (bytes.fromhex(v[k]) for k in ("key", "iv", "plaintext"))
    for case in ("A.3.2.1", "A.3.2.2"):
        cipher = ChaCha20.new(key=key, nonce=iv)
        cipher.seek(64 * v[f"{case}_initial_counter"])
        assert cipher.encrypt(plaintext) == bytes.fromhex(v[f"{case}_ciphertext"])

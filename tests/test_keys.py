"""Key sets and signing keys: unfit keys are refused at compile time, naming the kid."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from jwcrypto import jwk

from jose_engine import KeySetError, MintError, compile_policy, load_keyset
from tests.keysets import keyset, public, signing_jwks
from tests.policies import policy


def _jwk(kid: str, **params: Any) -> dict[str, Any]:
    extra = {k: params.pop(k) for k in ("alg", "use", "key_ops") if k in params}
    return {**json.loads(jwk.JWK.generate(**params).export()), "kid": kid, **extra}


def _compile_with(member: dict[str, Any]) -> None:
    compile_policy(policy(jwkIdForValidationAndSign=member["kid"]), {"keys": [member]})


BAD_KEYS = [
    ("short HMAC", _jwk("k", kty="oct", size=128, alg="HS256"), "at least 256 bits"),
    ("short HS512", _jwk("k", kty="oct", size=256, alg="HS512"), "at least 512 bits"),
    ("weak RSA", _jwk("k", kty="RSA", size=1024), "under 2048 bits"),
    ("curve mismatch", _jwk("k", kty="EC", crv="P-256", alg="ES384"), "P-384"),
    ("kty mismatch", _jwk("k", kty="EC", crv="P-256", alg="RS256"), "needs a RSA key"),
    ("unknown alg", _jwk("k", kty="oct", size=256, alg="HS1"), "not a JWS algorithm"),
    ("encryption alg", _jwk("k", kty="RSA", size=2048, alg="RSA-OAEP"), "not a JWS"),
    ("use enc", _jwk("k", kty="EC", crv="P-256", use="enc"), "forbids sign"),
    ("key_ops verify", _jwk("k", kty="EC", crv="P-256", key_ops=["verify"]), "key_ops"),
    ("X25519 cannot sign", _jwk("k", kty="OKP", crv="X25519"), "no signing algorithm"),
]


@pytest.mark.parametrize("case, member, reason", BAD_KEYS, ids=[b[0] for b in BAD_KEYS])
def test_unfit_signing_keys_are_refused_naming_the_kid(case: str, member: dict[str, Any],
                                                       reason: str) -> None:
    with pytest.raises(KeySetError, match=reason) as info:
        _compile_with(member)
    assert info.value.kid == "k"
    secret = member.get("d") or member.get("k")
    assert secret is None or secret not in str(info.value)


def test_a_public_key_cannot_sign() -> None:
    member = public(signing_jwks()["es256"])
    with pytest.raises(KeySetError, match="public key") as info:
        _compile_with(member)
    assert info.value.kid == "es256"


def test_unknown_kid_is_named() -> None:
    with pytest.raises(KeySetError) as info:
        compile_policy(policy(jwkIdForValidationAndSign="nope"), keyset("hs256"))
    assert info.value.kid == "nope"
    assert "jwkIdForValidationAndSign" in str(info.value)


def test_malformed_jwk_error_shows_no_key_material() -> None:
    member = {"kty": "RSA", "kid": "bad", "n": "AQAB", "d": "c2VjcmV0LXNlY3JldA"}
    with pytest.raises(KeySetError) as info:
        load_keyset({"keys": [member]})
    assert "c2VjcmV0" not in str(info.value)


@pytest.mark.parametrize("document, reason", [
    ({}, "'keys' array"),
    ({"keys": {}}, "'keys' array"),
    ({"keys": [], "extra": 1}, "unknown member"),
    ({"keys": [1]}, "keys\\[0\\] must be a JWK"),
    ({"keys": [], "defaultCredential": "a"}, "names no credential"),
    ({"keys": [], "credentials": {"a": {"sign": "missing"}}}, "unknown kid"),
    ({"keys": [], "credentials": {"a": {"verify": "x"}}}, "must be"),
], ids=str)
def test_bad_key_sets_are_refused(document: dict[str, Any], reason: str) -> None:
    with pytest.raises(KeySetError, match=reason):
        load_keyset(document)


def test_duplicate_kids_are_refused() -> None:
    member = signing_jwks()["hs256"]
    with pytest.raises(KeySetError, match="share this kid"):
        load_keyset({"keys": [member, member]})


def test_public_jwks_never_holds_a_private_member() -> None:
    published = load_keyset(keyset()).public_jwks()
    assert published["keys"], "asymmetric keys are published"
    for member in published["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(member)


class TestIssuerCredential:
    """signByIssuer: the named credential, else the issuer's, else the default."""

    creds: ClassVar[dict[str, Any]] = {
        "https://issuer.example": {"sign": "es256"}, "alice": {"sign": "hs256"},
        "fallback": {"sign": "ed25519"}}

    def _alg(self, token: str) -> str:
        import jwt
        return str(jwt.get_unverified_header(token)["kid"])

    def test_the_named_credential_wins(self) -> None:
        c = compile_policy(policy(signByIssuer=True), keyset(credentials=self.creds))
        assert self._alg(c.mint(credential="alice")) == "hs256"

    def test_then_the_credential_named_after_the_issuer(self) -> None:
        c = compile_policy(policy(signByIssuer=True),
                           keyset(credentials=self.creds, default="fallback"))
        assert self._alg(c.mint()) == "es256"

    def test_then_the_default_credential(self) -> None:
        c = compile_policy(policy(signByIssuer=True, issuer="https://other.example"),
                           keyset(credentials=self.creds, default="fallback"))
        assert self._alg(c.mint()) == "ed25519"

    def test_no_credential_at_all_is_an_error(self) -> None:
        c = compile_policy(policy(signByIssuer=True, issuer="https://other.example"),
                           keyset(credentials=self.creds))
        with pytest.raises(MintError, match="no credential"):
            c.mint()
        with pytest.raises(MintError, match="not a credential of the key set"):
            c.mint(credential="mallory")

    def test_a_key_set_without_credentials_is_refused(self) -> None:
        with pytest.raises(KeySetError, match="signByIssuer"):
            compile_policy(policy(signByIssuer=True), keyset())

"""The grid: every case of :data:`benchmarks.cases.CASES` by every implementation.

:func:`test_every_implementation_mints_the_same_token` runs first: it opens one token of
each implementation with joserfc (verifying and decrypting with the case's keys) and checks
that its header and claims agree with ours, so that the grid compares equal work.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from joserfc import jwe, jws
from joserfc.drafts.jwe_chacha20 import register_chacha20_poly1305
from joserfc.jwk import import_key

from benchmarks.cases import CASES, Case, build, keyset
from jose_engine.encoding import b64u_decode

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_HEADER = ("alg", "enc", "kid", "typ", "cty")
_LARGE = 1 << 22


def _key(kid: str) -> Any:
    return import_key(next(k for k in keyset()["keys"] if k["kid"] == kid))


def _first_segment(token: bytes) -> dict[str, Any]:
    header: dict[str, Any] = orjson.loads(b64u_decode(token.split(b".", 1)[0]))
    return header


def open_token(case: Case, token: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(headers from the outside in, claims), verified and decrypted by joserfc."""
    headers = []
    payload = token.encode()
    if case.encrypt is not None:
        register_chacha20_poly1305()
        outer = _first_segment(payload)
        jwe_registry = jwe.JWERegistry(algorithms=[outer["alg"], outer["enc"]])
        jwe_registry.max_ciphertext_length = _LARGE  # growth cases pass the 64 KB default
        obj = jwe.decrypt_compact(payload, _key(case.encrypt), registry=jwe_registry)
        headers.append(dict(obj.protected))
        payload = obj.plaintext or b""
    if case.sign is not None:
        alg = _first_segment(payload)["alg"]
        jws_registry = jws.JWSRegistry(algorithms=[alg])
        jws_registry.max_payload_length = _LARGE
        signed = jws.deserialize_compact(payload, _key(case.sign), registry=jws_registry)
        headers.append(dict(signed.protected))
        payload = signed.payload
    return headers, orjson.loads(payload)


def assert_same_token(case: Case, ours: str, theirs: str, *, ignore: tuple[str, ...] = ()
                      ) -> None:
    our_headers, our_claims = open_token(case, ours)
    headers, claims = open_token(case, theirs)
    names = [k for k in _HEADER if k not in ignore]
    for mine, other in zip(our_headers, headers, strict=True):
        assert {k: other.get(k) for k in names} == {k: mine.get(k) for k in names}
    assert set(claims) == set(our_claims)
    for name in ("iat", "exp"):
        assert abs(claims[name] - our_claims[name]) <= 5
    assert _UUID.fullmatch(claims["jti"]) and claims["jti"] != our_claims["jti"]
    fixed = set(claims) - {"iat", "exp", "jti"}
    assert {k: claims[k] for k in fixed} == {k: our_claims[k] for k in fixed}


def check_case(case: Case) -> None:
    built = build(case)
    ours = str(built.minters["ours"]())
    for impl, fn in built.minters.items():
        if impl == "ours" or impl.startswith("bare"):
            continue
        # python-jose's jwe.encrypt cannot set typ: its JWE header is 12 octets shorter.
        jwe_only = case.sign is None and case.encrypt is not None
        ignore = ("typ",) if impl == "python-jose" and jwe_only else ()
        assert_same_token(case, ours, str(fn()), ignore=ignore)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_implementation_mints_the_same_token(case: Case) -> None:
    check_case(case)


def time_case(timed: Callable[..., None], case: Case, impl: str) -> None:
    built = build(case)
    if impl in built.skipped:
        pytest.skip(f"{impl}: {built.skipped[impl]}")
    minters = built.minters
    # Paired ratios: ours against each bare recipe, every peer against ours.
    if impl == "ours":
        refs = {b.label: minters[b.label] for b in case.bare}
    elif impl.startswith("bare"):
        refs = {}
    else:
        refs = {"ours": minters["ours"]}
    timed(case, impl, minters[impl], refs)


@pytest.mark.parametrize(("case", "impl"),
                         [(case, impl) for case in CASES for impl in case.implementations],
                         ids=[f"{c.name}-{i}" for c in CASES for i in c.implementations])
def test_mint(timed: Callable[..., None], case: Case, impl: str) -> None:
    time_case(timed, case, impl)

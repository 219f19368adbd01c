"""Compact JWE encryption (RFC 7516 §5.1, §7.1): decide everything once, encrypt many times."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from ..encoding import b64u_encode, json_bytes
from ..errors import KeySetError, SecurityWarning, UnsupportedError
from ..fields import is_text
from ..randomness import random_bytes
from .aes import AesGcm
from .content import CONTENT_ENCRYPTION, ContentCipher, ContentEncryption, header_aad
from .keymgmt import resolve
from .management import BuildContext, Injected, KeyManager
from .recipient import read_jwk

_b64 = b64u_encode


class Encrypter:
    """Encrypts plaintexts to one recipient key with one ``alg`` and ``enc``.

    Immutable and thread-safe: everything fixed (key objects, header bytes, a ``dir``
    cipher) is prepared in :func:`build_encrypter`; :meth:`encrypt` does per-token work only.
    """

    __slots__ = (
        "_cipher",
        "_content",
        "_header_b64",
        "_header_prefix",
        "_manager",
        "_rng",
        "alg",
        "enc",
        "encrypt",
        "kid",
    )

    alg: str
    enc: str
    kid: str | None
    #: ``encrypt(plaintext) -> bytes``: the compact JWE of ``plaintext``, as ASCII bytes.
    encrypt: Callable[[bytes], bytes]
    _content: ContentEncryption
    _manager: KeyManager
    _rng: Callable[[int], bytes]
    _cipher: ContentCipher | None
    _header_b64: bytes
    _header_prefix: bytes

    def __init__(self, alg: str, content: ContentEncryption, kid: str | None,
                 manager: KeyManager, header: Mapping[str, Any],
                 rng: Callable[[int], bytes]) -> None:
        header_json = protected_header_json(header)
        cipher = None if manager.static_cek is None else content.bind(manager.static_cek)
        for name, value in (
            ("alg", alg), ("enc", content.enc), ("kid", kid), ("_content", content),
            ("_manager", manager), ("_rng", rng), ("_cipher", cipher),
            ("_header_b64", b64u_encode(header_json)),
            # Per-token members (epk, iv/tag, p2s) are spliced in before the closing brace.
            ("_header_prefix", header_json[:-1] + b","),
        ):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "encrypt", self._per_token())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Encrypter is immutable")

    def __repr__(self) -> str:
        return f"Encrypter(alg={self.alg!r}, enc={self.enc!r}, kid={self.kid!r})"

    def _per_token(self) -> Callable[[bytes], bytes]:
        """The per-token function: a straight line for ``dir``, the general path otherwise."""
        cipher, content = self._cipher, self._content
        if cipher is None or content.aad_for is not header_aad:
            mint = self._mint
            return lambda plaintext: mint(plaintext, None)
        # dir (RFC 7518 §4.5): empty encrypted key, key-bound cipher, AAD = header segment.
        seal, rng, iv_len = cipher.seal, self._rng, content.iv_len
        header = self._header_b64
        prefix = header + b".."
        if isinstance(cipher, AesGcm):
            return _gcm_dir(cipher.aead.encrypt, rng, iv_len, header, prefix)

        def encrypt(plaintext: bytes) -> bytes:
            iv = rng(iv_len)
            ciphertext, tag = seal(iv, header, plaintext)
            return b"".join((prefix, _b64(iv), b".", _b64(ciphertext), b".", _b64(tag)))
        return encrypt

    def _mint(self, plaintext: bytes, injected: Injected | None) -> bytes:
        cek, encrypted_key, extra = self._manager.deliver(injected)
        header = self._header_b64 if extra is None else self._header_with(extra)
        key_b64 = b64u_encode(encrypted_key)
        content = self._content
        cipher: ContentCipher = self._cipher if self._cipher is not None else content.factory(cek)
        iv = self._rng(content.iv_len) if injected is None or injected.iv is None else injected.iv
        ciphertext, tag = cipher.seal(iv, content.aad_for(header, key_b64), plaintext)
        # RFC 7516 §7.1: header . encrypted key . IV . ciphertext . tag
        return b".".join(
            (header, key_b64, b64u_encode(iv), b64u_encode(ciphertext), b64u_encode(tag)))

    def _header_with(self, extra: dict[str, Any]) -> bytes:
        return b64u_encode(self._header_prefix + json_bytes(extra)[1:])


def _gcm_dir(aead_encrypt: Callable[[bytes, bytes, bytes], bytes], rng: Callable[[int], bytes],
             iv_len: int, header: bytes, prefix: bytes) -> Callable[[bytes], bytes]:
    """dir + AES-GCM with no wrapper between the token and the AEAD call."""
    def encrypt(plaintext: bytes) -> bytes:
        iv = rng(iv_len)
        sealed = aead_encrypt(iv, plaintext, header)  # ciphertext || 16-octet tag
        return b"".join((prefix, _b64(iv), b".", _b64(sealed[:-16]), b".",
                         _b64(sealed[-16:])))
    return encrypt


def protected_header_json(header: Mapping[str, Any]) -> bytes:
    """Compact JSON of the static header, every non-ASCII character escaped.

    RFC 7516 §5.2 takes the AAD from the received segment, but some decrypters (joserfc
    1.6) rebuild it from the parsed header with ``ensure_ascii``; an ASCII-only header
    reads the same both ways. Built once per encrypter, so the slower encoder costs nothing
    per token; per-token members are base64url strings and numbers, ASCII already.
    """
    return json.dumps(dict(header), ensure_ascii=True, separators=(",", ":")).encode("ascii")


def build_encrypter(
    jwk: Mapping[str, Any], method: str, *, kid: str | None, cty: str | None,
    typ: str | None, pbes2_count: int = 600_000,
    rng: Callable[[int], bytes] = random_bytes,
) -> Encrypter:
    """An :class:`Encrypter` for ``jwk`` (a ``jwcrypto.jwk.JWK``) and the policy ``method``.

    The ``alg`` is the JWK's own or the default for its key type (policy-semantics.md
    "Keys"). Raises :class:`KeySetError` (with ``kid``) for a key that does not fit, and
    :class:`UnsupportedError` for a method or curve this build cannot mint. Warns with
    :class:`SecurityWarning` for RSA1_5 and the deprecated CBC methods.
    """
    content = CONTENT_ENCRYPTION.get(method)
    if content is None:
        raise UnsupportedError(f"unknown encryption method {method!r}; "
                               f"expected one of {', '.join(CONTENT_ENCRYPTION)}")
    _check_text(kid, cty, typ)
    key = read_jwk(jwk, kid)
    entry = resolve(key, content)
    manager = entry.build(key, BuildContext(entry.alg, content, rng, pbes2_count))
    header: dict[str, Any] = {"alg": entry.alg, "enc": content.enc}
    header.update((k, v) for k, v in (("kid", kid), ("cty", cty), ("typ", typ)) if v is not None)
    header.update(manager.static_header)
    _warn(entry.warning, content)
    return Encrypter(entry.alg, content, kid, manager, header, rng)


def _check_text(kid: str | None, cty: str | None, typ: str | None) -> None:
    # Lone surrogates would make JSON that strict parsers refuse (RFC 8259 §8.1: UTF-8).
    if not (kid is None or is_text(kid)):
        raise KeySetError("kid is not valid Unicode text", kid=kid)
    for name, value in (("cty", cty), ("typ", typ)):
        if not (value is None or is_text(value)):
            raise UnsupportedError(f"header {name!r} is not valid Unicode text")


def _warn(alg_warning: str | None, content: ContentEncryption) -> None:
    if alg_warning is not None:
        warnings.warn(alg_warning, SecurityWarning, stacklevel=3)
    if content.deprecated:
        warnings.warn(
            f"JWE enc {content.enc} is a pre-RFC draft method (draft-ietf-jose-json-web-"
            "encryption-08) only Nimbus JOSE+JWT still reads; prefer A128CBC-HS256 or A256GCM",
            SecurityWarning, stacklevel=3)

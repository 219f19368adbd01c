"""JWE layer: compact JWE encryption for nested JWTs (RFC 7516, RFC 7518, RFC 8037).

``build_encrypter`` decides everything once per compiled policy; ``Encrypter.encrypt``
mints one compact JWE per call. Vector tests inject CEK/IV through ``_testing`` only.
"""

from __future__ import annotations

from .content import CONTENT_ENCRYPTION
from .encrypter import Encrypter, build_encrypter
from .keymgmt import KEY_MANAGEMENT

#: The nine policy ``encryptionMethod`` enum names, in the seed's order.
ENCRYPTION_METHODS: tuple[str, ...] = tuple(CONTENT_ENCRYPTION)
#: Every wire ``alg`` this layer can mint.
KEY_MANAGEMENT_ALGORITHMS: tuple[str, ...] = tuple(KEY_MANAGEMENT)

__all__ = ["ENCRYPTION_METHODS", "KEY_MANAGEMENT_ALGORITHMS", "Encrypter", "build_encrypter"]

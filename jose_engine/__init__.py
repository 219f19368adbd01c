"""jose-engine: compiled JOSE policies that mint signed and nest-encrypted JWTs."""

from .compiled import CompiledPolicy, compile_policy
from .errors import (
                     DataError,
                     JoseEngineError,
                     KeySetError,
                     MessageError,
                     MintError,
                     PolicyError,
                     SecurityWarning,
                     UnsupportedError,
)
from .keys import KeySet, load_keyset
from .policy import Policy, PolicyDocument, load_policy

__all__ = [
    "CompiledPolicy", "DataError", "JoseEngineError", "KeySet", "KeySetError", "MessageError",
    "MintError", "Policy", "PolicyDocument", "PolicyError", "SecurityWarning",
    "UnsupportedError", "compile_policy", "load_keyset", "load_policy",
]
__version__ = "0.1.0"

"""Gateway runtime: run a compiled policy on HTTP messages.

``apply_policy(compiled, message)`` reads the raw data where ``joseTarget`` says, mints,
and returns a new :class:`Message` with the token where
``encodedClaimsTargetForDataManipulation`` says. :class:`JoseMiddleware` does the same for
an ASGI app; ``jose-engine apply`` for a message given as JSON.
"""

try:  # the runtime extra: JSONPath and XPath libraries
    import jsonpath  # noqa: F401
    import lxml  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError("jose_engine.runtime needs the runtime extra: "
                      "pip install -e '.[runtime]' from the jose-engine checkout",
                      name=exc.name) from exc

from .apply import (
    DEFAULT_STATUS,
    apply_policy,
    check_policy,
    error_body,
    error_status,
    prepare,
)
from .asgi import JoseMiddleware
from .codec import message_from_json, message_to_json
from .message import Context, Message

__all__ = [
    "DEFAULT_STATUS", "Context", "JoseMiddleware", "Message", "apply_policy", "check_policy",
    "error_body", "error_status", "message_from_json", "message_to_json", "prepare",
]


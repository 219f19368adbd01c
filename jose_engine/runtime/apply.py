"""Run a compiled policy on a gateway message: read the raw data, mint, place the token."""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from ..enums import JoseTarget, OutputTarget
from ..errors import JoseEngineError, MessageError
from .access import Accessor
from .message import Message, values_of

if TYPE_CHECKING:
    from ..compiled import CompiledPolicy
    from ..policy import Policy

JWT_MEDIA_TYPE = "application/jwt"  # RFC 7519 §10.3.1
DEFAULT_STATUS = 403
# RFC 9110 §11.1: auth-scheme is a token, then one or more spaces before the credentials.
_SCHEME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+ +")


@dataclass(frozen=True, slots=True)
class Plan:
    """The accessors of one compiled policy, built (and their expressions compiled) once."""

    source: Accessor | None
    output: Accessor | None


_plans: weakref.WeakKeyDictionary[Any, Plan] = weakref.WeakKeyDictionary()
_plans_lock = threading.Lock()


def check_policy(policy: Policy) -> Plan:
    """Check what the runtime needs of ``policy``'s variables, without keys or a message.

    Every JSONPath and XPath it reads or writes is compiled and tried on a probe document
    (bad syntax, a bad regular expression, an unknown XPath function or prefix, nesting too
    deep), and a HEADER variable's ``headerName`` must be an RFC 9110 field name. Raises
    :class:`~jose_engine.errors.PolicyError` naming the field
    (``policy.joseTargetVariable.jsonPathValue``). The service runs it when a policy is
    added or updated.
    """
    src, out = policy.jose_target_variable, policy.output_variable
    return Plan(
        Accessor(src) if src and policy.jose_target is JoseTarget.CHOOSE_FROM_VARIABLE
        else None,
        Accessor(out) if out and policy.output_target is OutputTarget.CHOOSE_FROM_VARIABLE
        else None)


def prepare(compiled: CompiledPolicy) -> Plan:
    """Check and compile the policy's variables now (see :func:`check_policy`).

    Call it right after compiling the policy so a bad JSONPath, XPath or header name fails
    then; :func:`apply_policy` and :class:`JoseMiddleware` call it too, and the plan is
    cached for the compiled policy's lifetime. Raises
    :class:`~jose_engine.errors.PolicyError` naming the field.
    """
    with _plans_lock:
        plan = _plans.get(compiled)
    if plan is None:
        plan = check_policy(compiled.policy)
        with _plans_lock:
            plan = _plans.setdefault(compiled, plan)
    return plan


def apply_policy(compiled: CompiledPolicy, message: Message, *,
                 credential: str | None = None) -> Message:
    """Mint a token from ``message``'s raw data and return a new message carrying it.

    The input message is never changed (messages are immutable); an inactive policy returns
    it as is. ``credential`` names the issuer credential for ``signByIssuer`` and
    ``encryptByIssuer``; left out, the message context's authenticated credential is used,
    then the key set's fallbacks. On failure nothing is returned: the jose_engine error
    (with ``.code``) propagates; :func:`error_status` and :func:`error_body` turn it into a
    gateway answer.
    """
    policy = compiled.policy
    if not policy.active:
        return message
    plan = prepare(compiled)
    raw = read_raw(compiled, plan, message)
    who = credential if credential is not None else message.context.credential
    token = compiled.mint_raw(raw, credential=who)
    return place_token(compiled, plan, message, token)


def read_raw(compiled: CompiledPolicy, plan: Plan, message: Message) -> bytes | str | None:
    """The raw data ``joseTarget`` names; ``None`` for EMPTY."""
    target = compiled.policy.jose_target
    if target is JoseTarget.BODY:
        return message.body
    if target is JoseTarget.AUTHORIZATION_HEADER:
        return _authorization(message)
    if target is JoseTarget.CHOOSE_FROM_VARIABLE:
        assert plan.source is not None
        clock = getattr(compiled, "clock", None)
        return plan.source.read(message, compiled.resolvers, clock)
    return None


def _authorization(message: Message) -> str:
    found = values_of(message.headers, "Authorization", fold=True)
    if not found:
        raise MessageError("is absent, but policy.joseTarget AUTHORIZATION_HEADER reads it",
                           path="message.headers.Authorization")
    if len(found) > 1:
        # One credentials value per header (RFC 9110 §11.6.2); two would be ambiguous.
        raise MessageError("is repeated; expected one value",
                           path="message.headers.Authorization")
    value = found[0].strip()
    scheme = _SCHEME.match(value)
    return value[scheme.end():] if scheme else value


def place_token(compiled: CompiledPolicy, plan: Plan, message: Message,
                token: str) -> Message:
    """A new message with ``token`` where ``encodedClaimsTargetForDataManipulation`` says."""
    target = compiled.policy.output_target
    if target is OutputTarget.BODY:
        return message.with_body(token.encode("ascii"), JWT_MEDIA_TYPE)
    if target is OutputTarget.AUTHORIZATION_HEADER:
        return message.with_header("Authorization", f"Bearer {token}")
    assert plan.output is not None
    return plan.output.write(message, token)


def error_status(exc: JoseEngineError, statuses: Mapping[str, int] | None = None) -> int:
    """The HTTP status a gateway answers with: ``statuses[exc.code]``, else 403."""
    return (statuses or {}).get(exc.code, DEFAULT_STATUS)


def error_body(exc: JoseEngineError) -> bytes:
    """``{"success": false, "code": …, "message": …}``, the gateway's error shape."""
    return orjson.dumps({"success": False, "code": exc.code, "message": str(exc)})

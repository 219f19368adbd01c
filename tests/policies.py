"""Policy dicts for the tests, in the seed's format."""

from __future__ import annotations

import copy
from typing import Any

BASE: dict[str, Any] = {
    "type": "policy-jose-implementation",
    "description": "test",
    "active": True,
    "joseTarget": "BODY",
    "addIssueTime": True,
    "addJWTID": True,
    "addIssuer": True,
    "issuer": "https://issuer.example",
    "addAudience": True,
    "audienceList": ["api://one"],
    "addSubject": True,
    "subject": "user123",
    "addTypeToHeader": True,
    "typeValue": "JWT",
    "addExpirationTime": True,
    "expirationTimeValue": 3600,
    "expirationTimeUnit": "SECONDS",
    "additionalClaimMap": {},
    "sign": True,
    "signByIssuer": False,
    "jwkIdForValidationAndSign": "hs256",
    "encrypt": False,
}


def policy(**changes: Any) -> dict[str, Any]:
    """A copy of :data:`BASE` with members replaced (``None`` removes one)."""
    return changed(BASE, **changes)


def changed(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``base`` with members replaced (``None`` removes one)."""
    out = copy.deepcopy(base)
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def body(pol: dict[str, Any], **operation: Any) -> dict[str, Any]:
    """The seed's Add/Update body around ``pol``."""
    op = {"targetScope": "ALL", "targetPipeline": "RESPONSE", "deploy": True,
          "deployTargetEnvironmentNameList": ["production"], "order": 1, **operation}
    return {"operationMetadata": op, "policy": pol}

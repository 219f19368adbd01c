"""The policy document: the seed's JSON read into typed, immutable objects.

Every rule of the seed's "Note" section is enforced here, plus the stricter reading of the
policy-semantics page (positive integer lifetimes, exact enums, unknown members refused).
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .claimvalues import check_lifetime, parse_claim_value
from .enums import (
    EncryptionMethod,
    HttpMethod,
    JoseTarget,
    OutputTarget,
    Pipeline,
    TargetScope,
    TimeUnit,
    ValueType,
)
from .errors import PolicyError, SecurityWarning
from .fields import Members, check_text, describe
from .variables import Variable, parse_variable

POLICY_TYPE = "policy-jose-implementation"
# Registered claims the policy itself can add, and the switch that adds each.
REGISTERED = {"iat": "addIssueTime", "jti": "addJWTID", "iss": "addIssuer",
              "aud": "addAudience", "sub": "addSubject", "exp": "addExpirationTime"}
_DEPRECATED = (EncryptionMethod.A128CBC_HS256_DEPRECATED,
               EncryptionMethod.A256CBC_HS512_DEPRECATED)


@dataclass(frozen=True, slots=True)
class ClaimValue:
    """One ``additionalClaimMap`` entry: the text as written and the JSON value it emits."""

    text: str
    value_type: ValueType
    value: Any


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated ``policy-jose-implementation`` object."""

    name: str | None = None
    description: str | None = None
    active: bool = True
    jose_target: JoseTarget = JoseTarget.BODY
    jose_target_variable: Variable | None = None
    jwt_claims_claim: str | None = None
    escape_json_string: bool = False
    add_issue_time: bool = True
    add_jwt_id: bool = True
    add_issuer: bool = True
    issuer: str | None = None
    add_audience: bool = True
    audience_list: tuple[str, ...] = ()
    add_subject: bool = True
    subject: str | None = None
    add_type_to_header: bool = True
    type_value: str | None = None
    add_expiration_time: bool = True
    expiration_time_value: int | None = None
    expiration_time_unit: TimeUnit | None = None
    additional_claims: Mapping[str, ClaimValue] = field(default_factory=dict)
    sign: bool = True
    sign_by_issuer: bool = True
    sign_kid: str | None = None
    encrypt: bool = True
    encrypt_by_issuer: bool = True
    encrypt_kid: str | None = None
    encryption_method: EncryptionMethod | None = None
    output_target: OutputTarget = OutputTarget.BODY
    output_variable: Variable | None = None

    def added_registered_claims(self) -> frozenset[str]:
        """The registered claims (RFC 7519 §4.1) this policy adds itself."""
        switches = {"iat": self.add_issue_time, "jti": self.add_jwt_id,
                    "iss": self.add_issuer, "aud": self.add_audience,
                    "sub": self.add_subject, "exp": self.add_expiration_time}
        return frozenset(name for name, on in switches.items() if on)

    def variables(self) -> tuple[Variable, ...]:
        """The variables this policy reads or writes."""
        return tuple(v for v in (self.jose_target_variable, self.output_variable) if v)

    def to_json(self) -> dict[str, Any]:
        """The seed's policy object with every member present (as the list endpoint shows)."""
        def var(v: Variable | None) -> dict[str, Any] | None:
            return v.to_json() if v else None
        return {
            "type": POLICY_TYPE, "name": self.name, "description": self.description,
            "active": self.active, "joseTarget": self.jose_target.value,
            "joseTargetVariable": var(self.jose_target_variable),
            "jwtClaimsClaim": self.jwt_claims_claim, "escapeJsonString": self.escape_json_string,
            "addIssueTime": self.add_issue_time, "addJWTID": self.add_jwt_id,
            "addIssuer": self.add_issuer, "issuer": self.issuer,
            "addAudience": self.add_audience, "audienceList": list(self.audience_list),
            "addSubject": self.add_subject, "subject": self.subject,
            "addTypeToHeader": self.add_type_to_header, "typeValue": self.type_value,
            "addExpirationTime": self.add_expiration_time,
            "expirationTimeValue": self.expiration_time_value,
            "expirationTimeUnit": _opt(self.expiration_time_unit),
            "additionalClaimMap": {k: {"value": c.text, "valueType": c.value_type.value}
                                   for k, c in self.additional_claims.items()},
            "sign": self.sign, "signByIssuer": self.sign_by_issuer,
            "jwkIdForValidationAndSign": self.sign_kid, "encrypt": self.encrypt,
            "encryptByIssuer": self.encrypt_by_issuer,
            "jwkIdForDecryptionAndEncryption": self.encrypt_kid,
            "encryptionMethod": _opt(self.encryption_method),
            "encodedClaimsTargetForDataManipulation": self.output_target.value,
            "decodedClaimsTargetVariableForDataManipulation": var(self.output_variable),
        }


@dataclass(frozen=True, slots=True)
class OperationMetadata:
    """Where and how a management call places the policy (the seed's operationMetadata)."""

    target_scope: TargetScope
    target_pipeline: Pipeline
    target_endpoint: str | None = None
    target_endpoint_method: HttpMethod | None = None
    deploy: bool = True
    deploy_environments: tuple[str, ...] = ()
    order: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "targetScope": self.target_scope.value, "targetEndpoint": self.target_endpoint,
            "targetEndpointHTTPMethod": _opt(self.target_endpoint_method),
            "targetPipeline": self.target_pipeline.value, "deploy": self.deploy,
            "deployTargetEnvironmentNameList": list(self.deploy_environments),
            "order": self.order,
        }


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """A policy file: the policy and, for an Add/Update body, its operationMetadata."""

    policy: Policy
    operation: OperationMetadata | None = None


def _opt(value: Any) -> Any:
    return None if value is None else value.value


def read_json_file(path: str | Path, what: str) -> Any:
    """Parse a JSON file; errors name the file, never its content."""
    try:
        data = Path(path).read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: an embedded NUL in the path
        reason = exc.strerror if isinstance(exc, OSError) else "not a valid path"
        raise PolicyError(f"cannot read {what} file {str(path)[:200]!r}: {reason}") from None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise PolicyError(f"{what} file {str(path)!r} is not valid JSON "
                          f"(line {exc.lineno}, column {exc.colno})") from None


def load_policy(source: object, *, script_variables: Collection[str] = ()) -> PolicyDocument:
    """Read a policy from a path, JSON text/bytes or a parsed dict.

    Accepts the Add/Update body (``{"operationMetadata": …, "policy": …}``) or the bare policy
    object; errors are :class:`PolicyError` naming the JSON path (``policy.issuer``).
    ``script_variables`` names the variables that have a Python resolver registered.
    """
    if isinstance(source, PolicyDocument):
        return source
    if isinstance(source, Policy):
        return PolicyDocument(source)
    if isinstance(source, (str, Path)) and not str(source).lstrip().startswith("{"):
        source = read_json_file(source, "policy")
    elif isinstance(source, (str, bytes)):
        try:
            source = orjson.loads(source)
        except orjson.JSONDecodeError:
            raise PolicyError("the policy is not valid JSON") from None
    if not isinstance(source, Mapping):
        raise PolicyError(f"expected a JSON object, got {describe(source)}", path="policy")
    if "policy" in source and "type" not in source:
        return _read_body(source, script_variables)
    return PolicyDocument(parse_policy(source, "policy", script_variables))


def _read_body(body: Mapping[str, Any], script_variables: Collection[str]) -> PolicyDocument:
    m = Members(body, "")
    op = m.raw("operationMetadata")
    operation = None if op is None else parse_operation(op, "operationMetadata")
    policy = parse_policy(m.raw("policy"), "policy", script_variables)
    m.refuse_unknown()
    return PolicyDocument(policy, operation)


def parse_operation(obj: object, path: str) -> OperationMetadata:
    """Read the seed's operationMetadata object."""
    m = Members(obj, path)
    scope = m.enum("targetScope", TargetScope)
    if scope is None:
        raise PolicyError("is required", path=m.at("targetScope"))
    pipeline = m.enum("targetPipeline", Pipeline)
    if pipeline is None:
        raise PolicyError("is required", path=m.at("targetPipeline"))
    endpoint_required = scope is TargetScope.ENDPOINT
    why = " when targetScope is ENDPOINT"
    endpoint = m.string("targetEndpoint", required=endpoint_required, why=why)
    method = m.enum("targetEndpointHTTPMethod", HttpMethod)
    if endpoint_required and method is None:
        raise PolicyError(f"is required{why}", path=m.at("targetEndpointHTTPMethod"))
    order = m.integer("order")
    if order is not None and order < 1:
        raise PolicyError("expected an integer of at least 1", path=m.at("order"))
    result = OperationMetadata(
        target_scope=scope, target_pipeline=pipeline, target_endpoint=endpoint,
        target_endpoint_method=method, deploy=m.boolean("deploy", True),
        deploy_environments=m.string_list("deployTargetEnvironmentNameList"), order=order)
    m.refuse_unknown()
    return result


def parse_policy(obj: object, path: str = "policy",
                 script_variables: Collection[str] = ()) -> Policy:
    """Read and validate a bare policy object; ``path`` prefixes every error's field."""
    m = Members(obj, path)
    kind = m.raw("type")
    if kind != POLICY_TYPE:
        shown = repr(kind) if isinstance(kind, str) and len(kind) < 64 else describe(kind)
        raise PolicyError(f"expected {POLICY_TYPE!r}, got {shown}", path=m.at("type"))
    jose_target = m.enum("joseTarget", JoseTarget, JoseTarget.BODY) or JoseTarget.BODY
    output_target = m.enum("encodedClaimsTargetForDataManipulation", OutputTarget,
                           OutputTarget.BODY) or OutputTarget.BODY
    policy = Policy(
        name=m.string("name"), description=m.string("description"),
        active=m.boolean("active", True), jose_target=jose_target,
        jwt_claims_claim=m.string("jwtClaimsClaim"),
        escape_json_string=m.boolean("escapeJsonString", False),
        add_issue_time=m.boolean("addIssueTime", True), add_jwt_id=m.boolean("addJWTID", True),
        **_registered(m), **_keys(m), **_variables(m, jose_target, output_target),
        output_target=output_target,
    )
    m.refuse_unknown()
    _check_claim_names(policy, m)
    _check_scripts(policy, script_variables)
    _warn(policy)
    return policy


def _registered(m: Members) -> dict[str, Any]:
    add_iss = m.boolean("addIssuer", True)
    add_sub = m.boolean("addSubject", True)
    add_typ = m.boolean("addTypeToHeader", True)
    add_aud = m.boolean("addAudience", True)
    add_exp = m.boolean("addExpirationTime", True)
    audiences = m.string_list("audienceList")
    if add_aud and not audiences:
        raise PolicyError("needs at least one audience when addAudience is true",
                          path=m.at("audienceList"))
    lifetime = m.integer("expirationTimeValue")
    unit = m.enum("expirationTimeUnit", TimeUnit)
    if add_exp:
        if lifetime is None:
            raise PolicyError("is required when addExpirationTime is true",
                              path=m.at("expirationTimeValue"))
        if lifetime <= 0:
            raise PolicyError("must be a positive integer", path=m.at("expirationTimeValue"))
        if unit is None:
            raise PolicyError("is required when addExpirationTime is true",
                              path=m.at("expirationTimeUnit"))
        check_lifetime(unit, lifetime, m.at("expirationTimeValue"))
    return dict(
        add_issuer=add_iss,
        issuer=m.string("issuer", required=add_iss, why=" when addIssuer is true"),
        add_subject=add_sub,
        subject=m.string("subject", required=add_sub, why=" when addSubject is true"),
        add_type_to_header=add_typ,
        type_value=m.string("typeValue", required=add_typ, why=" when addTypeToHeader is true"),
        add_audience=add_aud, audience_list=audiences, add_expiration_time=add_exp,
        expiration_time_value=lifetime, expiration_time_unit=unit,
        additional_claims=_claim_map(m.raw("additionalClaimMap"), m.at("additionalClaimMap")),
    )


def _keys(m: Members) -> dict[str, Any]:
    sign = m.boolean("sign", True)
    by_issuer = m.boolean("signByIssuer", True)
    encrypt = m.boolean("encrypt", True)
    enc_by_issuer = m.boolean("encryptByIssuer", True)
    method = m.enum("encryptionMethod", EncryptionMethod)
    if encrypt and method is None:
        raise PolicyError("is required when encrypt is true", path=m.at("encryptionMethod"))
    return dict(
        sign=sign, sign_by_issuer=by_issuer,
        sign_kid=m.string("jwkIdForValidationAndSign", required=sign and not by_issuer,
                          why=" when sign is true and signByIssuer is false"),
        encrypt=encrypt, encrypt_by_issuer=enc_by_issuer,
        encrypt_kid=m.string("jwkIdForDecryptionAndEncryption",
                             required=encrypt and not enc_by_issuer,
                             why=" when encrypt is true and encryptByIssuer is false"),
        encryption_method=method,
    )


def _variables(m: Members, source: JoseTarget, output: OutputTarget) -> dict[str, Any]:
    return dict(
        jose_target_variable=_variable(m, "joseTargetVariable",
                                       source is JoseTarget.CHOOSE_FROM_VARIABLE,
                                       "joseTarget", writable=False),
        output_variable=_variable(m, "decodedClaimsTargetVariableForDataManipulation",
                                  output is OutputTarget.CHOOSE_FROM_VARIABLE,
                                  "encodedClaimsTargetForDataManipulation", writable=True),
    )


def _variable(m: Members, name: str, required: bool, switch: str, *,
              writable: bool) -> Variable | None:
    value = m.raw(name)
    if value is None:
        if required:
            raise PolicyError(f"is required when {switch} is CHOOSE_FROM_VARIABLE",
                              path=m.at(name))
        return None
    return parse_variable(value, m.at(name), writable=writable)


def _claim_map(obj: object, path: str) -> dict[str, ClaimValue]:
    if obj is None:
        return {}
    m = Members(obj, path)
    claims = {}
    for name in m.obj:
        entry = Members(m.raw(name), m.at(name))
        if not isinstance(name, str) or not name:
            raise PolicyError("a claim name must be a non-empty string", path=entry.path)
        check_text(name, entry.path)
        text = entry.raw("value")
        if isinstance(text, bool):
            text = "true" if text else "false"
        elif isinstance(text, (int, float)):
            text = repr(text)
        if not isinstance(text, str):
            raise PolicyError(f"expected a string, got {describe(text)}", path=entry.at("value"))
        check_text(text, entry.at("value"))
        vtype = entry.enum("valueType", ValueType, ValueType.STRING) or ValueType.STRING
        entry.refuse_unknown()
        value = parse_claim_value(text, vtype, entry.at("value"))
        claims[name] = ClaimValue(text, vtype, value)
    return claims


def _check_claim_names(policy: Policy, m: Members) -> None:
    added = policy.added_registered_claims()
    for name in policy.additional_claims:
        if name in added:
            raise PolicyError(f"the policy already adds {name!r} ({REGISTERED[name]} is true)",
                              path=f"{m.at('additionalClaimMap')}.{name}")
    holder = policy.jwt_claims_claim
    if holder is not None and (holder in added or holder in policy.additional_claims):
        raise PolicyError(f"names a claim the policy sets itself ({holder!r})",
                          path=m.at("jwtClaimsClaim"))


def _check_scripts(policy: Policy, script_variables: Collection[str]) -> None:
    for var in policy.variables():
        if var.init_with_script and var.key not in script_variables:
            raise PolicyError("initWithScript needs a Python resolver registered under the "
                              f"variable's name ({var.key!r}); GROOVY and JAVASCRIPT scripts "
                              "cannot run here", path=f"{var.path}.initWithScript")


def _warn(policy: Policy) -> None:
    if not policy.sign and not policy.encrypt:
        warnings.warn("sign and encrypt are both false: tokens are Unsecured JWTs (alg none, "
                      "RFC 7519 §6) that anyone can forge", SecurityWarning, stacklevel=3)
    if policy.encrypt and policy.encryption_method in _DEPRECATED:
        warnings.warn(f"encryptionMethod {policy.encryption_method} is a pre-RFC construction "
                      "kept for old peers; prefer A128CBC_HS256 or A256GCM",
                      SecurityWarning, stacklevel=3)

"""Every rule of the seed's Note section and the semantics page, one bad input each."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jose_engine import PolicyError, load_policy
from tests.policies import BASE, body, policy

VAR_HEADER = {"type": "HEADER", "headerName": "X-In"}

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("wrong type", policy(type="policy-jose-validation"), "policy.type"),
    ("missing type", policy(type=None), "policy.type"),
    ("issuer required", policy(issuer=None), "policy.issuer"),
    ("empty issuer", policy(issuer=""), "policy.issuer"),
    ("audience required", policy(audienceList=[]), "policy.audienceList"),
    ("audience item empty", policy(audienceList=["a", ""]), "policy.audienceList[1]"),
    ("audience item type", policy(audienceList=["a", 3]), "policy.audienceList[1]"),
    ("subject required", policy(subject=None), "policy.subject"),
    ("typeValue required", policy(typeValue=None), "policy.typeValue"),
    ("exp value required", policy(expirationTimeValue=None), "policy.expirationTimeValue"),
    ("exp value zero", policy(expirationTimeValue=0), "policy.expirationTimeValue"),
    ("exp value negative", policy(expirationTimeValue=-5), "policy.expirationTimeValue"),
    ("exp value float", policy(expirationTimeValue=1.5), "policy.expirationTimeValue"),
    ("exp value string", policy(expirationTimeValue="60"), "policy.expirationTimeValue"),
    ("exp unit required", policy(expirationTimeUnit=None), "policy.expirationTimeUnit"),
    ("exp unit enum", policy(expirationTimeUnit="seconds"), "policy.expirationTimeUnit"),
    ("sign kid required", policy(jwkIdForValidationAndSign=None),
     "policy.jwkIdForValidationAndSign"),
    ("method required", policy(encrypt=True), "policy.encryptionMethod"),
    ("method enum", policy(encrypt=True, encryptionMethod="A128CBC-HS256"),
     "policy.encryptionMethod"),
    ("encrypt kid required", policy(encrypt=True, encryptByIssuer=False,
                                    encryptionMethod="A256GCM"),
     "policy.jwkIdForDecryptionAndEncryption"),
    ("encrypt default true needs method", policy(encrypt=None), "policy.encryptionMethod"),
    ("joseTarget enum", policy(joseTarget="HEADER"), "policy.joseTarget"),
    ("joseTargetVariable required", policy(joseTarget="CHOOSE_FROM_VARIABLE"),
     "policy.joseTargetVariable"),
    ("output variable required",
     policy(encodedClaimsTargetForDataManipulation="CHOOSE_FROM_VARIABLE"),
     "policy.decodedClaimsTargetVariableForDataManipulation"),
    ("output enum", policy(encodedClaimsTargetForDataManipulation="EMPTY"),
     "policy.encodedClaimsTargetForDataManipulation"),
    ("boolean type", policy(sign="yes"), "policy.sign"),
    ("unknown member", policy(issuerr="x"), "policy.issuerr"),
    ("claim map type", policy(additionalClaimMap=[]), "policy.additionalClaimMap"),
    ("claim value type", policy(additionalClaimMap={"r": {"value": "x", "valueType": "TEXT"}}),
     "policy.additionalClaimMap.r.valueType"),
    ("claim value missing", policy(additionalClaimMap={"r": {"valueType": "STRING"}}),
     "policy.additionalClaimMap.r.value"),
    ("claim unknown member", policy(additionalClaimMap={"r": {"value": "x", "type": "S"}}),
     "policy.additionalClaimMap.r.type"),
    ("BOOLEAN parse", policy(additionalClaimMap={"b": {"value": "yes", "valueType": "BOOLEAN"}}),
     "policy.additionalClaimMap.b.value"),
    ("INTEGER range", policy(additionalClaimMap={"i": {"value": "2147483648",
                                                        "valueType": "INTEGER"}}),
     "policy.additionalClaimMap.i.value"),
    ("INTEGER parse", policy(additionalClaimMap={"i": {"value": "1.0", "valueType": "INTEGER"}}),
     "policy.additionalClaimMap.i.value"),
    ("LONG range", policy(additionalClaimMap={"l": {"value": str(2**63), "valueType": "LONG"}}),
     "policy.additionalClaimMap.l.value"),
    ("DOUBLE parse", policy(additionalClaimMap={"d": {"value": "one", "valueType": "DOUBLE"}}),
     "policy.additionalClaimMap.d.value"),
    ("DOUBLE finite", policy(additionalClaimMap={"d": {"value": "inf", "valueType": "DOUBLE"}}),
     "policy.additionalClaimMap.d.value"),
    ("FLOAT range", policy(additionalClaimMap={"f": {"value": "1e39", "valueType": "FLOAT"}}),
     "policy.additionalClaimMap.f.value"),
    ("URI relative", policy(additionalClaimMap={"u": {"value": "/a/b", "valueType": "URI"}}),
     "policy.additionalClaimMap.u.value"),
    ("URI spaces", policy(additionalClaimMap={"u": {"value": "http://a b", "valueType": "URI"}}),
     "policy.additionalClaimMap.u.value"),
    ("claim shadows exp", policy(additionalClaimMap={"exp": {"value": "1", "valueType": "LONG"}}),
     "policy.additionalClaimMap.exp"),
    ("claim shadows iss", policy(additionalClaimMap={"iss": {"value": "x"}}),
     "policy.additionalClaimMap.iss"),
    ("holder shadows sub", policy(jwtClaimsClaim="sub"), "policy.jwtClaimsClaim"),
    ("variable type", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                             joseTargetVariable={"type": "COOKIE"}),
     "policy.joseTargetVariable.type"),
    ("header name", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                           joseTargetVariable={"type": "HEADER"}),
     "policy.joseTargetVariable.headerName"),
    ("param type", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                          joseTargetVariable={"type": "PARAMETER", "paramName": "a"}),
     "policy.joseTargetVariable.paramType"),
    ("param name", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                          joseTargetVariable={"type": "PARAMETER", "paramType": "QUERY"}),
     "policy.joseTargetVariable.paramName"),
    ("body content type", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                                 joseTargetVariable={"type": "BODY", "jsonPathValue": "$.a"}),
     "policy.joseTargetVariable.messageContentType"),
    ("body json path", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                              joseTargetVariable={"type": "BODY", "messageContentType": "JSON"}),
     "policy.joseTargetVariable.jsonPathValue"),
    ("body xpath", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                          joseTargetVariable={"type": "BODY", "messageContentType": "XML"}),
     "policy.joseTargetVariable.xpathValue"),
    ("body form name", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                              joseTargetVariable={"type": "BODY", "messageContentType": "FORM"}),
     "policy.joseTargetVariable.formName"),
    ("context value", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                             joseTargetVariable={"type": "CONTEXT_VALUES"}),
     "policy.joseTargetVariable.contextValue"),
    ("context value enum", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                                  joseTargetVariable={"type": "CONTEXT_VALUES",
                                                      "contextValue": "NOW"}),
     "policy.joseTargetVariable.contextValue"),
    ("zone id", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                       joseTargetVariable={"type": "CONTEXT_VALUES",
                                           "contextValue": "CURRENT_TIME",
                                           "zoneId": "Mars/Olympus"}),
     "policy.joseTargetVariable.zoneId"),
    ("custom needs a name", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                                   joseTargetVariable={"type": "CUSTOM"}),
     "policy.joseTargetVariable.name"),
    ("context is read-only",
     policy(encodedClaimsTargetForDataManipulation="CHOOSE_FROM_VARIABLE",
            decodedClaimsTargetVariableForDataManipulation={"type": "CONTEXT_VALUES",
                                                            "contextValue": "CLIENT_IP"}),
     "policy.decodedClaimsTargetVariableForDataManipulation.type"),
    ("script without resolver",
     policy(joseTarget="CHOOSE_FROM_VARIABLE",
            joseTargetVariable={"type": "CUSTOM", "name": "v", "initWithScript": True,
                                "scriptLanguage": "GROOVY", "scriptBody": "return 1"}),
     "policy.joseTargetVariable.initWithScript"),
    ("script language", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                               joseTargetVariable={"type": "CUSTOM", "name": "v",
                                                   "initWithScript": True,
                                                   "scriptBody": "x"}),
     "policy.joseTargetVariable.scriptLanguage"),
    ("variable unknown member", policy(joseTarget="CHOOSE_FROM_VARIABLE",
                                       joseTargetVariable={**VAR_HEADER, "header": "x"}),
     "policy.joseTargetVariable.header"),
    ("operation scope", body(policy(), targetScope="SOME"), "operationMetadata.targetScope"),
    ("operation pipeline", body(policy(), targetPipeline=None) | {
        "operationMetadata": {"targetScope": "ALL"}}, "operationMetadata.targetPipeline"),
    ("endpoint required", body(policy(), targetScope="ENDPOINT"),
     "operationMetadata.targetEndpoint"),
    ("endpoint method required", body(policy(), targetScope="ENDPOINT", targetEndpoint="/a"),
     "operationMetadata.targetEndpointHTTPMethod"),
    ("endpoint method enum", body(policy(), targetScope="ENDPOINT", targetEndpoint="/a",
                                  targetEndpointHTTPMethod="FETCH"),
     "operationMetadata.targetEndpointHTTPMethod"),
    ("order at least 1", body(policy(), order=0), "operationMetadata.order"),
    ("environments list", body(policy(), deployTargetEnvironmentNameList="production"),
     "operationMetadata.deployTargetEnvironmentNameList"),
    ("body unknown member", {**body(policy()), "extra": 1}, "extra"),
    ("policy not an object", {"policy": [1]}, "policy"),
]


@pytest.mark.parametrize("case, document, field", BAD, ids=[b[0] for b in BAD])
def test_each_rule_names_its_field(case: str, document: dict[str, Any], field: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(document)
    assert info.value.path == field
    assert str(info.value).startswith(field + ": ")
    assert info.value.code == "invalid_policy"


def test_enum_errors_list_the_allowed_values() -> None:
    with pytest.raises(PolicyError, match="MILLI_SECONDS, SECONDS, MINUTES"):
        load_policy(policy(expirationTimeUnit="FORTNIGHTS"))


def test_the_seed_examples_load(seed_examples: dict[str, Any]) -> None:
    for name, document in seed_examples.items():
        assert load_policy(document).policy.type_value in (None, "JWT"), name


def test_list_response_member_name_is_accepted() -> None:
    assert load_policy(policy(name="p1")).policy.name == "p1"


def test_policy_round_trips_through_its_json() -> None:
    doc = load_policy(policy(additionalClaimMap={"n": {"value": "7", "valueType": "LONG"}}))
    again = load_policy(doc.policy.to_json())
    assert again.policy == doc.policy


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda kids: st.lists(kids, max_size=3)
                    | st.dictionaries(st.text(max_size=8), kids, max_size=3), max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from([*sorted(BASE), "joseTargetVariable", "operationMetadata"]),
       value=JSON, wrap=st.booleans())
def test_any_mutation_is_accepted_or_refused_with_our_error(field: str, value: Any,
                                                            wrap: bool) -> None:
    document: dict[str, Any] = policy(**{field: value}) if value is not None else policy()
    if wrap:
        document = body(document)
    try:
        load_policy(document)
    except PolicyError as exc:
        assert exc.path

"""The management API against a real server: the seed's bodies, errors, auth, public pages."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from jose_engine.policy import parse_policy

from .test_service_support import (
    POLICIES,
    PRIVATE_MEMBERS,
    PROJECT,
    PROXY,
    Server,
    body,
    seed_bodies,
)

MAX_BODY = 64 * 1024
SEED_DELETE = {"operationMetadata": {"targetScope": "ALL", "targetPipeline": "RESPONSE",
                                     "deploy": False}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("api"), max_body=MAX_BODY) as s:
        yield s


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


def listed(client: httpx.Client, proxy: str = PROXY) -> dict[str, Any]:
    r = client.get(f"/apiops/projects/{PROJECT}/apiProxies/{proxy}/policies/")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def names(listing: dict[str, Any], member: str = "responsePolicyList") -> list[str]:
    return [p["name"] for p in listing["resultList"][0]["apiProxy"][member]]


def error(r: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    got = r.json()
    assert (got["success"], got["code"], got["field"]) == (False, code, field), got
    assert "Traceback" not in r.text


# -- the seed's five bodies ----------------------------------------------------------------

def test_the_seed_examples_are_added_listed_updated_and_deleted(client: httpx.Client) -> None:
    proxy = "SeedAPI"
    base = f"/apiops/projects/{PROJECT}/apiProxies/{proxy}/policies/"
    for name, doc in seed_bodies().items():
        r = client.post(base + name + "/", json=doc)
        assert r.status_code == 200, r.text
        assert r.json()["success"] is True
        assert r.json()["deploymentResult"] == {"success": True, "deploymentResults": [
            {"environmentName": "production", "success": True,
             "message": "Deployment successful"}]}
    listing = listed(client, proxy)
    assert listing["success"] is True and listing["resultCount"] == 1
    api = listing["resultList"][0]["apiProxy"]
    assert api["name"] == proxy and api["requestPolicyList"] == api["errorPolicyList"] == []
    # Every example says order 1: each one was inserted before the earlier ones.
    assert names(listing) == list(reversed(seed_bodies()))
    for shown in api["responsePolicyList"]:
        expected = parse_policy(seed_bodies()[shown["name"]]["policy"]).to_json()
        assert shown == {**expected, "name": shown["name"]}
        assert list(shown)[:2] == ["type", "name"]

    update = copy.deepcopy(seed_bodies()["basic-jwt"])
    update["policy"]["description"] = "changed"
    r = client.put(base + "basic-jwt/", json=update)
    assert r.status_code == 200 and r.json()["deploymentResult"]["success"] is True
    shown = {p["name"]: p for p in listed(client, proxy)["resultList"][0]["apiProxy"][
        "responsePolicyList"]}
    assert shown["basic-jwt"]["description"] == "changed"
    assert names(listed(client, proxy))[0] == "basic-jwt"  # order 1 in the update body

    r = client.request("DELETE", base + "minimal/", json=SEED_DELETE)
    assert r.status_code == 200
    assert r.json() == {"success": True,
                        "deploymentResult": {"success": True, "deploymentResults": []}}
    assert "minimal" not in names(listed(client, proxy))


def test_paths_without_the_trailing_slash_answer_too(client: httpx.Client) -> None:
    assert client.post(POLICIES + "no-slash", json=body("basic-jwt")).status_code == 200
    assert client.get(POLICIES.rstrip("/")).status_code == 200


def test_an_unsecured_policy_is_stored_with_a_warning(client: httpx.Client) -> None:
    r = client.post(POLICIES + "unsecured/", json=body("minimal"))
    assert r.status_code == 200
    assert "Unsecured" in r.json()["warnings"][0]


def test_an_endpoint_scoped_policy_is_listed_under_its_endpoint(client: httpx.Client) -> None:
    doc = body("basic-jwt")
    doc["operationMetadata"].update(targetScope="ENDPOINT", targetEndpoint="/orders/{id}",
                                    targetEndpointHTTPMethod="GET", targetPipeline="REQUEST")
    base = f"/apiops/projects/{PROJECT}/apiProxies/EndpointAPI/policies/"
    assert client.post(base + "per-endpoint/", json=doc).status_code == 200
    api = listed(client, "EndpointAPI")["resultList"][0]["apiProxy"]
    assert api["requestPolicyList"] == []
    [endpoint] = api["endpointList"]
    assert (endpoint["path"], endpoint["httpMethod"]) == ("/orders/{id}", "GET")
    assert [p["name"] for p in endpoint["requestPolicyList"]] == ["per-endpoint"]


# -- errors --------------------------------------------------------------------------------

def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = doc
        for part in parents:
            node = node[part]
        if value is _DROP:
            del node[last]
        else:
            node[last] = value
    return change


_DROP = object()
BAD_BODIES = [
    ("policy.issuer", "invalid_policy", _set("policy.issuer", None)),
    ("policy.issuer", "invalid_policy", _set("policy.issuer", 42)),
    ("policy.expirationTimeUnit", "invalid_policy", _set("policy.expirationTimeUnit", "AGES")),
    ("policy.expirationTimeValue", "invalid_policy", _set("policy.expirationTimeValue", 0)),
    ("policy.expirationTimeValue", "invalid_policy", _set("policy.expirationTimeValue", 1.5)),
    ("policy.audienceList", "invalid_policy", _set("policy.audienceList", [])),
    ("policy.audienceList[0]", "invalid_policy", _set("policy.audienceList", [""])),
    ("policy.additionalClaimMap.role.valueType", "invalid_policy",
     _set("policy.additionalClaimMap.role.valueType", "MONEY")),
    ("policy.additionalClaimMap.exp", "invalid_policy",
     _set("policy.additionalClaimMap.exp", {"value": "1", "valueType": "LONG"})),
    ("policy.encryptionMethod", "invalid_policy", _set("policy.encrypt", True)),
    ("policy.jwkIdForValidationAndSign", "invalid_policy", _set("policy.signByIssuer", False)),
    ("policy.issuerr", "invalid_policy", _set("policy.issuerr", "typo")),
    ("policy.type", "invalid_policy", _set("policy.type", "policy-jose-validation")),
    ("policy.name", "invalid_policy", _set("policy.name", "another-name")),
    ("policy.joseTargetVariable", "invalid_policy", _set("policy.joseTarget",
                                                        "CHOOSE_FROM_VARIABLE")),
    ("policy", "invalid_policy", _set("policy", _DROP)),
    ("policy", "invalid_policy", _set("policy", [])),
    ("operationMetadata", "invalid_policy", _set("operationMetadata", _DROP)),
    ("operationMetadata.targetScope", "invalid_policy",
     _set("operationMetadata.targetScope", "SOME")),
    ("operationMetadata.targetPipeline", "invalid_policy",
     _set("operationMetadata.targetPipeline", _DROP)),
    ("operationMetadata.targetEndpoint", "invalid_policy",
     _set("operationMetadata.targetScope", "ENDPOINT")),
    ("operationMetadata.order", "invalid_policy", _set("operationMetadata.order", 0)),
    ("operationMetadata.deploy", "invalid_policy", _set("operationMetadata.deploy", "yes")),
    ("operationMetadata.deployTargetEnvironmentNameList", "invalid_policy",
     _set("operationMetadata.deployTargetEnvironmentNameList", "production")),
    ("extra", "invalid_policy", _set("extra", 1)),
]


@pytest.mark.parametrize("field,code,change", BAD_BODIES,
                         ids=[f"{i}-{f}" for i, (f, _, _) in enumerate(BAD_BODIES)])
def test_a_bad_body_is_answered_400_naming_the_field(client: httpx.Client, field: str,
                                                     code: str, change: Any) -> None:
    doc = body("basic-jwt")
    change(doc)
    r = client.post(POLICIES + "bad-one/", json=doc)
    error(r, 400, code, field)
    # An update is checked the same way, before the policy is looked up.
    error(client.put(POLICIES + "not-there/", json=doc), 400, code, field)


@pytest.mark.parametrize("raw", [b"{not json", b"", b"   ", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_400(client: httpx.Client, raw: bytes) -> None:
    r = client.post(POLICIES + "raw/", content=raw,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] in ("invalid_json", "invalid_policy")


def test_adding_an_existing_name_is_409(client: httpx.Client) -> None:
    assert client.post(POLICIES + "twice/", json=body("basic-jwt")).status_code == 200
    error(client.post(POLICIES + "twice/", json=body("basic-jwt")), 409, "conflict")


@pytest.mark.parametrize("method,path", [
    ("GET", f"/apiops/projects/{PROJECT}/apiProxies/NoSuchAPI/policies/"),
    ("GET", f"/apiops/projects/NoSuchProject/apiProxies/{PROXY}/policies/"),
    ("PUT", POLICIES + "no-such-policy/"),
    ("DELETE", POLICIES + "no-such-policy/"),
    ("PUT", f"/apiops/projects/{PROJECT}/apiProxies/NoSuchAPI/policies/x/"),
    ("POST", f"/runtime/staging/projects/{PROJECT}/apiProxies/{PROXY}/policies/x/tokens"),
    ("POST", f"/runtime/test/projects/{PROJECT}/apiProxies/NoSuchAPI/policies/x/tokens"),
    ("GET", "/no/such/endpoint"),
])
def test_unknown_things_are_404(client: httpx.Client, method: str, path: str) -> None:
    client.post(POLICIES + "exists/", json=body("basic-jwt"))
    json_body = body("basic-jwt") if method == "PUT" else None
    error(client.request(method, path, json=json_body), 404, "not_found")


def test_a_body_over_the_limit_is_413_by_length_and_by_stream(client: httpx.Client) -> None:
    doc = body("basic-jwt", description="x" * MAX_BODY)
    error(client.post(POLICIES + "huge/", json=doc), 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
        yield b'{"policy": {"description": "'
        for _ in range(MAX_BODY // 1024 + 1):
            yield b"y" * 1024
        yield b'"}}'
    error(client.post(POLICIES + "huge/", content=chunks()), 413, "payload_too_large")


def test_a_wrong_method_is_405_as_json(client: httpx.Client) -> None:
    r = client.patch(POLICIES)
    error(r, 405, "method_not_allowed")
    assert "GET" in r.headers["allow"]


# -- auth ------------------------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic c2VydmljZQ==",
                                           "Bearer", "service-test-token",
                                           "Bearer service-test-token-and-more"])
@pytest.mark.parametrize("method,path", [
    ("GET", POLICIES), ("POST", POLICIES + "a/"), ("PUT", POLICIES + "a/"),
    ("DELETE", POLICIES + "a/"), ("POST", "/admin/reload"),
    ("POST", f"/runtime/production/projects/{PROJECT}/apiProxies/{PROXY}/policies/a/tokens"),
    ("POST", f"/runtime/production/projects/{PROJECT}/apiProxies/{PROXY}/apply"),
])
def test_management_and_runtime_calls_need_a_valid_token(
        server: Server, authorization: str | None, method: str, path: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    r = httpx.request(method, server.url + path, headers=headers, json=body("basic-jwt"))
    error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/healthz", "/.well-known/jwks.json", "/metrics",
                                  "/openapi.json"])
def test_public_pages_need_no_token(server: Server, path: str) -> None:
    assert httpx.get(server.url + path).status_code == 200


# -- public pages ----------------------------------------------------------------------------

def test_the_jwks_holds_only_public_halves_of_asymmetric_keys(server: Server) -> None:
    r = httpx.get(server.url + "/.well-known/jwks.json")
    keys = r.json()["keys"]
    assert {k["kid"] for k in keys} == {"issuer-signing-key", "issuer-encryption-key",
                                        "my-signing-jwk-id", "my-encryption-jwk-id"}
    for key in keys:
        assert not PRIVATE_MEMBERS & set(key), key["kid"]
        assert key["kty"] != "oct"


def test_metrics_count_tokens_by_policy_alg_and_enc(client: httpx.Client,
                                                    server: Server) -> None:
    client.post(POLICIES + "metered/", json=body("basic-jwt"))
    url = f"/runtime/production/projects/{PROJECT}/apiProxies/{PROXY}/policies/metered/tokens"
    assert client.post(url).status_code == 200
    client.get(POLICIES.replace(PROXY, "Nope"))  # one 404 for the error counter
    text = httpx.get(server.url + "/metrics").text
    assert ('jose_engine_tokens_minted_total{alg="RS256",enc="none",environment="production",'
            'policy="metered",project="MyProject",proxy="MyAPI"} 1.0') in _sorted_labels(text)
    assert 'jose_engine_errors_total{code="not_found"}' in text
    assert "jose_engine_mint_seconds_bucket" in text


def _sorted_labels(text: str) -> str:
    out = []
    for line in text.splitlines():
        if "{" in line and not line.startswith("#"):
            name, rest = line.split("{", 1)
            labels, value = rest.rsplit("}", 1)
            line = name + "{" + ",".join(sorted(labels.split(","))) + "}" + value
        out.append(line)
    return "\n".join(out)


def test_openapi_describes_exactly_the_served_routes(server: Server, tmp_path: Path) -> None:
    from starlette.routing import Route

    from jose_engine.service.app import create_app
    from jose_engine.service.config import ServiceConfig
    document = httpx.get(server.url + "/openapi.json").json()
    assert document["openapi"].startswith("3.")
    described = {(path, method.upper()) for path, ops in document["paths"].items()
                 for method in ops}
    app = create_app(ServiceConfig(db=str(tmp_path / "o.db"), tokens=("t",)))
    served = set()
    for route in app.routes:
        assert isinstance(route, Route)
        path = route.path if route.path.endswith(("/", ".json")) or "/apiops" not in \
            route.path else route.path + "/"
        for method in route.methods or ():
            if method != "HEAD":
                served.add((path, method))
    assert described == served


def test_health_answers_ok(server: Server) -> None:
    r = httpx.get(server.url + "/healthz")
    assert r.json()["status"] == "ok"

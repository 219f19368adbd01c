"""Deployments across two environments, tokens checked by independent libraries, key
reloads, /apply, and a restart that keeps everything."""

from __future__ import annotations

import json
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .test_service_support import KEYS, POLICIES, PROJECT, PROXY, Server, body, seed_bodies, verify

RUNTIME = f"/runtime/{{env}}/projects/{PROJECT}/apiProxies/{PROXY}"


@pytest.fixture(scope="module")
def keys_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the examples' key set that tests may rewrite (then /admin/reload)."""
    path = tmp_path_factory.mktemp("keys") / "keys.json"
    shutil.copy(KEYS, path)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, keys_file: Path) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("deploy"), keys=keys_file) as s:
        yield s


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


def mint(client: httpx.Client, env: str, policy: str, **request: Any) -> httpx.Response:
    return client.post(RUNTIME.format(env=env) + f"/policies/{policy}/tokens",
                       json=request or None)


def claims(client: httpx.Client, server: Server, env: str, policy: str,
           **request: Any) -> dict[str, Any]:
    r = mint(client, env, policy, **request)
    assert r.status_code == 200, r.text
    jwks = httpx.get(server.url + "/.well-known/jwks.json").json()
    return verify(r.json()["token"], jwks, server.keys)


def results(r: httpx.Response) -> dict[str, dict[str, Any]]:
    assert r.status_code == 200, r.text
    return {d["environmentName"]: d for d in r.json()["deploymentResult"]["deploymentResults"]}


# -- tokens ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["basic-jwt", "signed-and-encrypted-jwe", "proxy-jwk"])
def test_tokens_of_the_seed_examples_verify_with_the_served_jwks(
        client: httpx.Client, server: Server, name: str) -> None:
    assert client.post(POLICIES + f"tok-{name}/", json=seed_bodies()[name]).status_code == 200
    got = claims(client, server, "production", f"tok-{name}")
    assert (got["iss"], got["sub"], got["aud"]) == ("https://myapi.com", "user123",
                                                   "api://myapi")
    assert got["exp"] - got["iat"] == 3600


def test_data_becomes_claims_and_a_credential_can_be_named(client: httpx.Client,
                                                           server: Server) -> None:
    client.post(POLICIES + "with-data/", json=body("basic-jwt"))
    got = claims(client, server, "production", "with-data", data={"order": 7},
                 credential="https://myapi.com")
    assert got["order"] == 7 and got["role"] == "admin"
    r = mint(client, "production", "with-data", credential="nobody")
    assert r.status_code == 400 and r.json()["field"] == "credential"
    r = mint(client, "production", "with-data", dta={})
    assert r.status_code == 400 and r.json()["field"] == "body.dta"
    assert r.json()["code"] == "invalid_request"


def test_an_inactive_policy_mints_nothing(client: httpx.Client) -> None:
    client.post(POLICIES + "inactive/", json=body("basic-jwt", active=False))
    r = mint(client, "production", "inactive")
    assert r.status_code == 409 and r.json()["code"] == "policy_inactive"


# -- deploy semantics --------------------------------------------------------------------------

def test_a_change_runs_only_where_it_was_deployed(client: httpx.Client,
                                                  server: Server) -> None:
    r = client.post(POLICIES + "staged/", json=body("basic-jwt", envs=["test"],
                                                    subject="v1"))
    assert list(results(r)) == ["test"]
    assert claims(client, server, "test", "staged")["sub"] == "v1"
    assert mint(client, "production", "staged").status_code == 404

    # Saved but not deployed: both environments keep what they ran.
    r = client.put(POLICIES + "staged/", json=body("basic-jwt", deploy=False, subject="v2"))
    assert results(r) == {}
    assert claims(client, server, "test", "staged")["sub"] == "v1"
    shown = client.get(POLICIES).json()["resultList"][0]["apiProxy"]["responsePolicyList"]
    assert next(p for p in shown if p["name"] == "staged")["subject"] == "v2"

    # deploy true with an empty list: every configured environment.
    r = client.put(POLICIES + "staged/", json=body("basic-jwt", envs=[], subject="v3"))
    assert set(results(r)) == {"production", "test"}
    assert claims(client, server, "production", "staged")["sub"] == "v3"
    assert claims(client, server, "test", "staged")["sub"] == "v3"


def test_a_delete_takes_effect_only_when_deployed(client: httpx.Client) -> None:
    client.post(POLICIES + "doomed/", json=body("basic-jwt", envs=["production", "test"]))
    delete = {"operationMetadata": {"targetScope": "ALL", "targetPipeline": "RESPONSE",
                                    "deploy": True, "deployTargetEnvironmentNameList": ["test"]}}
    assert set(results(client.request("DELETE", POLICIES + "doomed/", json=delete))) == \
        {"test"}
    assert mint(client, "test", "doomed").status_code == 404
    assert mint(client, "production", "doomed").status_code == 200  # still deployed there


def test_a_delete_without_a_body_deploys_to_every_environment(client: httpx.Client) -> None:
    client.post(POLICIES + "gone/", json=body("basic-jwt", envs=[]))
    assert mint(client, "test", "gone").status_code == 200
    assert set(results(client.delete(POLICIES + "gone/"))) == {"production", "test"}
    assert mint(client, "test", "gone").status_code == 404
    assert mint(client, "production", "gone").status_code == 404


def test_an_unknown_environment_is_reported_in_its_entry(client: httpx.Client) -> None:
    r = client.post(POLICIES + "env-check/", json=body("basic-jwt",
                                                       envs=["staging", "production"]))
    got = results(r)
    assert got["production"]["success"] is True
    assert got["staging"]["success"] is False and "unknown environment" in \
        got["staging"]["message"]
    assert r.json()["success"] is True and r.json()["deploymentResult"]["success"] is False


def test_an_unknown_kid_is_stored_but_not_deployed(client: httpx.Client,
                                                   server: Server) -> None:
    base = f"/apiops/projects/{PROJECT}/apiProxies/KidCheck/policies/"
    runtime = f"/runtime/production/projects/{PROJECT}/apiProxies/KidCheck/policies/"
    jwks = httpx.get(server.url + "/.well-known/jwks.json").json()

    def subject(policy: str) -> str:
        r = client.post(runtime + policy + "/tokens")
        assert r.status_code == 200, r.text
        return str(verify(r.json()["token"], jwks)["sub"])
    client.post(base + "kid-check/", json=body("proxy-jwk", subject="good"))
    bad = body("proxy-jwk", subject="bad", jwkIdForValidationAndSign="no-such-kid")
    entry = results(client.put(base + "kid-check/", json=bad))["production"]
    assert entry["success"] is False and entry["code"] == "invalid_key"
    assert "no-such-kid" in entry["message"]
    shown = client.get(base).json()["resultList"][0]["apiProxy"]["responsePolicyList"]
    assert shown[0]["subject"] == "bad"
    assert subject("kid-check") == "good"

    # A deployment carries the whole proxy: the broken policy holds back the next one...
    entry = results(client.post(base + "next/", json=body("basic-jwt")))["production"]
    assert entry["success"] is False and "'kid-check'" in entry["message"]
    assert client.post(runtime + "next/tokens").status_code == 404
    # ...until it is fixed, and then both run.
    assert results(client.put(base + "kid-check/", json=body("proxy-jwk", subject="fixed")))[
        "production"]["success"] is True
    assert subject("kid-check") == "fixed" and subject("next") == "user123"


# -- /apply -------------------------------------------------------------------------------------

def test_apply_runs_the_deployed_pipeline_in_order(client: httpx.Client,
                                                   server: Server) -> None:
    base = f"/apiops/projects/{PROJECT}/apiProxies/Chain/policies/"
    first = body("basic-jwt", envs=["test"])
    first["operationMetadata"]["targetPipeline"] = "REQUEST"
    # The second policy reads the first one's token (the new body) into one claim.
    second = body("variable-target", envs=["test"], joseTarget="BODY", jwtClaimsClaim="inner")
    second["operationMetadata"]["targetPipeline"] = "REQUEST"
    assert client.post(base + "to-header/", json=second).status_code == 200
    assert client.post(base + "to-body/", json=first | {
        "operationMetadata": {**first["operationMetadata"], "order": 1}}).status_code == 200
    message = {"method": "POST", "path": "/orders", "body": json.dumps({"item": 1}),
               "contentType": "application/json"}
    r = client.post(f"/runtime/test/projects/{PROJECT}/apiProxies/Chain/apply",
                    params={"pipeline": "REQUEST"}, json=message)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["appliedPolicies"] == ["to-body", "to-header"]
    jwks = httpx.get(server.url + "/.well-known/jwks.json").json()
    token = out["message"]["body"]
    assert verify(token, jwks)["item"] == 1
    outer = verify(out["message"]["headers"]["X-Encoded-Claims"], jwks)
    assert outer["inner"] == token
    # An endpoint's own policies run after the proxy-wide ones, for that endpoint only.
    third = body("basic-jwt", envs=["test"], jwtClaimsClaim="inner")
    third["operationMetadata"].update(targetScope="ENDPOINT", targetEndpoint="/items/{id}",
                                      targetEndpointHTTPMethod="GET", targetPipeline="REQUEST")
    assert client.post(base + "items-only/", json=third).status_code == 200
    for path, applied in (("/items/7", ["to-body", "to-header", "items-only"]),
                          ("/items", ["to-body", "to-header"])):
        r = client.post(f"/runtime/test/projects/{PROJECT}/apiProxies/Chain/apply",
                        json={**message, "method": "GET", "path": path})
        assert r.status_code == 200 and r.json()["appliedPolicies"] == applied, r.text
    r = client.post(f"/runtime/test/projects/{PROJECT}/apiProxies/Chain/apply",
                    params={"pipeline": "SIDEWAYS"}, json=message)
    assert r.status_code == 400 and r.json()["field"] == "pipeline"


# -- keys ---------------------------------------------------------------------------------------

def test_a_key_reload_that_would_break_a_deployment_is_refused(
        client: httpx.Client, server: Server, keys_file: Path) -> None:
    assert results(client.post(POLICIES + "reload-guard/", json=body("proxy-jwk")))[
        "production"]["success"] is True
    original = keys_file.read_text()
    keys = json.loads(original)
    keys["keys"] = [k for k in keys["keys"] if k["kid"] != "my-signing-jwk-id"]
    keys_file.write_text(json.dumps(keys))
    try:
        r = client.post("/admin/reload")
        assert r.status_code == 409 and "my-signing-jwk-id" in r.json()["message"]
        assert mint(client, "production", "reload-guard").status_code == 200
    finally:
        keys_file.write_text(original)


def test_a_reload_and_a_sighup_swap_in_new_keys(client: httpx.Client, server: Server,
                                                keys_file: Path) -> None:
    from jwcrypto import jwk
    client.post(POLICIES + "rotated/", json=body("proxy-jwk", envs=["production", "test"]))
    original = keys_file.read_text()
    try:
        for trigger in ("reload", "sighup"):
            keys = json.loads(keys_file.read_text())
            fresh = json.loads(jwk.JWK.generate(kty="EC", crv="P-256").export_private())
            for i, key in enumerate(keys["keys"]):
                if key["kid"] == "my-signing-jwk-id":
                    keys["keys"][i] = {**key, **fresh}
            keys_file.write_text(json.dumps(keys))
            if trigger == "reload":
                assert client.post("/admin/reload").status_code == 200
            else:
                server.signal(signal.SIGHUP)
            deadline = time.monotonic() + 5
            while True:
                served = httpx.get(server.url + "/.well-known/jwks.json").json()
                x = next(k for k in served["keys"] if k["kid"] == "my-signing-jwk-id")["x"]
                if x == fresh["x"] or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert x == fresh["x"], trigger
            assert claims(client, server, "test", "rotated")["iss"] == "https://myapi.com"
    finally:
        keys_file.write_text(original)
        client.post("/admin/reload")


# -- restart ------------------------------------------------------------------------------------

def test_a_restart_keeps_every_policy_and_deployment(tmp_path: Path) -> None:
    with Server(tmp_path) as first, first.client() as c:
        for name, doc in seed_bodies().items():
            c.post(POLICIES + name + "/", json=doc)
        c.post(POLICIES + "test-only/", json=body("basic-jwt", envs=["test"], subject="t"))
        c.put(POLICIES + "test-only/", json=body("basic-jwt", deploy=False, subject="later"))
        before = c.get(POLICIES).json()
    with Server(tmp_path) as second, second.client() as c:
        assert c.get(POLICIES).json() == before
        for name in seed_bodies():
            assert mint(c, "production", name).status_code == 200, name
        assert claims(c, second, "test", "test-only")["sub"] == "t"
        assert mint(c, "production", "test-only").status_code == 404

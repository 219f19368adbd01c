"""The command line: a token on stdout, or one line on stderr and status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest

from tests.conftest import EXAMPLES
from tests.keysets import public

CLI = [sys.executable, "-m", "jose_engine"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True,
                          timeout=60)


def _public_key(kid: str) -> Any:
    keys = json.loads((EXAMPLES / "keys.json").read_text())["keys"]
    member = next(k for k in keys if k["kid"] == kid)
    return jwt.PyJWK(public(member)).key


def test_mint_prints_one_token_that_pyjwt_verifies() -> None:
    out = run("mint", "--policy", str(EXAMPLES / "policies/basic-jwt.json"),
              "--keys", str(EXAMPLES / "keys.json"), "--data", str(EXAMPLES / "data.json"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("\n") == 1 and out.stderr == ""
    claims = jwt.decode(out.stdout.strip(), _public_key("issuer-signing-key"),
                        algorithms=["RS256"], audience="api://myapi")
    assert claims["role"] == "admin" and claims["user"] == "alice"
    assert claims["permissions"] == ["read", "write"]


def test_mint_reads_data_from_stdin() -> None:
    out = run("mint", "--policy", str(EXAMPLES / "policies/basic-jwt.json"),
              "--keys", str(EXAMPLES / "keys.json"), "--data", "-", stdin='{"n": 1}')
    assert out.returncode == 0, out.stderr
    assert jwt.decode(out.stdout.strip(), options={"verify_signature": False})["n"] == 1


def _bad_policy(tmp_path: Path, **changes: Any) -> str:
    body = json.loads((EXAMPLES / "policies/basic-jwt.json").read_text())
    body["policy"].update(changes)
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(body))
    return str(path)


def test_missing_issuer_exits_2_with_one_line_naming_policy_issuer(tmp_path: Path) -> None:
    out = run("mint", "--policy", _bad_policy(tmp_path, issuer=None),
              "--keys", str(EXAMPLES / "keys.json"))
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and "policy.issuer" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("args, needle", [
    (["--keys", "missing.json"], "cannot read key set"),
    (["--data", "missing.json"], "--data"),
    (["--credential", "nobody"], "credential"),
], ids=["keys file", "data file", "credential"])
def test_bad_inputs_exit_2_with_one_line(args: list[str], needle: str) -> None:
    base = {"--policy": str(EXAMPLES / "policies/basic-jwt.json"),
            "--keys": str(EXAMPLES / "keys.json")}
    base.update(dict(zip(args[::2], args[1::2])))
    out = run("mint", *[x for kv in base.items() for x in kv])
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and needle in out.stderr


def test_bad_key_exits_2_naming_the_kid(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [{"kty": "oct", "kid": "short", "k": "AAAA"}]}))
    policy = _bad_policy(tmp_path, signByIssuer=False, jwkIdForValidationAndSign="short")
    out = run("mint", "--policy", policy, "--keys", str(keys))
    assert out.returncode == 2 and "'short'" in out.stderr and "AAAA" not in out.stderr


def test_non_json_data_without_jwt_claims_claim_is_refused(tmp_path: Path) -> None:
    out = run("mint", "--policy", str(EXAMPLES / "policies/basic-jwt.json"),
              "--keys", str(EXAMPLES / "keys.json"), "--data", "-", stdin="<xml/>")
    assert out.returncode == 2 and "jwtClaimsClaim" in out.stderr


def test_keys_generate_makes_a_key_set_the_policy_can_use(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    out = run("keys", "generate", "--kty", "EC", "--crv", "P-384", "--kid", "k1",
              "--into", str(keys), "--credential", "https://myapi.com", "--default")
    assert out.returncode == 0, out.stderr
    minted = run("mint", "--policy", str(EXAMPLES / "policies/basic-jwt.json"),
                 "--keys", str(keys))
    assert minted.returncode == 0, minted.stderr
    assert jwt.get_unverified_header(minted.stdout.strip())["alg"] == "ES384"


def test_keys_generate_prints_a_jwks() -> None:
    out = run("keys", "generate", "--kty", "oct", "--alg", "HS512")
    member = json.loads(out.stdout)["keys"][0]
    assert member["alg"] == "HS512" and len(member["k"]) == 86


def test_the_unsecured_example_warns_on_stderr_and_still_mints() -> None:
    out = run("mint", "--policy", str(EXAMPLES / "policies/minimal.json"),
              "--keys", str(EXAMPLES / "keys.json"))
    assert out.returncode == 0 and "warning" in out.stderr
    assert out.stdout.strip().endswith(".")


@pytest.mark.parametrize("command", [[], ["mint"], ["keys", "generate"], ["apply"],
                                     ["serve"], ["bench"]], ids=str)
def test_every_help_page_prints(command: list[str]) -> None:
    out = run(*command, "--help")
    assert out.returncode == 0 and "usage: jose-engine" in out.stdout and out.stderr == ""


_WITHOUT = """
import builtins, sys
real = builtins.__import__
def without(name, *args, **kwargs):
    if name.split(".")[0] in ("jsonpath", "uvicorn"):
        raise ImportError("No module named " + name, name=name)
    return real(name, *args, **kwargs)
builtins.__import__ = without
from jose_engine.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("args, extra", [
    (["apply", "--policy", "p.json", "--keys", "k.json"], "runtime"),
    (["apply", "--help"], "runtime"),
    (["serve", "--keys", "k.json"], "service"),
], ids=["apply", "apply help", "serve"])
def test_a_missing_extra_is_named_in_one_line(args: list[str], extra: str) -> None:
    out = subprocess.run([sys.executable, "-c", _WITHOUT, *args], capture_output=True,
                         text=True, timeout=60, check=False)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and f"'.[{extra}]'" in out.stderr


def test_keys_generate_refuses_a_signing_use_for_an_exchange_curve() -> None:
    out = run("keys", "generate", "--kty", "OKP", "--crv", "X25519", "--use", "sig")
    assert out.returncode == 2 and "no signing algorithm" in out.stderr

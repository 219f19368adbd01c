"""``jose-engine apply``: the resulting message on stdout, or one stderr line and status 2."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest

from jose_engine.runtime import cli as runtime_cli
from tests.test_runtime_support import KEYS, SECRET, policy

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
VARIABLE_TARGET = str(EXAMPLES / "policies" / "variable-target.json")
EXAMPLE_KEYS = str(EXAMPLES / "keys.json")


def apply(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jose_engine", "apply", *args],
                          input=stdin, capture_output=True, text=True, timeout=60,
                          check=False)


def test_apply_prints_the_message_with_the_token_placed() -> None:
    out = apply("--policy", VARIABLE_TARGET, "--keys", EXAMPLE_KEYS,
                "--message", str(EXAMPLES / "message.json"))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    original = json.loads((EXAMPLES / "message.json").read_text())
    token = result["headers"].pop("X-Encoded-Claims")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["customerId"] == "c-1001"
    for name in ("method", "path", "pathParams", "query", "body", "contentType", "context"):
        assert result[name] == original[name], name


def test_apply_reads_the_message_from_stdin_and_takes_a_credential(tmp_path: Path) -> None:
    pol = tmp_path / "policy.json"
    pol.write_text(json.dumps(policy(signByIssuer=True, jwkIdForValidationAndSign=None)))
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(KEYS))
    message = {"body": '{"user": "zoe"}', "context": {"credential": "bob"}}
    out = apply("--policy", str(pol), "--keys", str(keys), "--message", "-",
                "--credential", "alice", stdin=json.dumps(message))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["contentType"] == "application/jwt" and result["form"] == {}
    token = result["body"]
    assert jwt.get_unverified_header(token)["kid"] == "hs"  # --credential beat the context
    assert jwt.decode(token, SECRET, algorithms=["HS256"],
                      options={"verify_aud": False})["user"] == "zoe"


BAD_MESSAGES: list[tuple[str, str, str]] = [
    ("not JSON", "{nope", "message"),
    ("header type", '{"headers": {"X": 1}}', "message.headers.X"),
    ("unknown member", '{"bodyy": "x"}', "message.bodyy"),
    ("context port", '{"context": {"clientPort": -1}}', "message.context.clientPort"),
    ("absent header the policy reads", "{}", "message.headers.X-JWT-Token"),
]


@pytest.mark.parametrize("text, field", [b[1:] for b in BAD_MESSAGES],
                         ids=[b[0] for b in BAD_MESSAGES])
def test_bad_message_exits_2_with_one_line_naming_the_field(text: str, field: str) -> None:
    out = apply("--policy", VARIABLE_TARGET, "--keys", EXAMPLE_KEYS, "--message", "-",
                stdin=text)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert field in out.stderr


def test_missing_message_file_exits_2(tmp_path: Path) -> None:
    out = apply("--policy", VARIABLE_TARGET, "--keys", EXAMPLE_KEYS,
                "--message", str(tmp_path / "absent.json"))
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "--message" in out.stderr


def test_a_mint_failure_exits_2_with_its_code_free_message(tmp_path: Path) -> None:
    pol = tmp_path / "policy.json"
    pol.write_text(json.dumps(policy()))
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(KEYS))
    out = apply("--policy", str(pol), "--keys", str(keys), "--message", "-",
                stdin='{"body": "plain text"}')
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "jwtClaimsClaim" in out.stderr


def test_add_parser_registers_apply_with_run() -> None:
    parser = argparse.ArgumentParser()
    runtime_cli.add_parser(parser.add_subparsers(dest="command"))
    args: Any = parser.parse_args(["apply", "--policy", "p", "--keys", "k", "--message", "-"])
    assert args.func is runtime_cli.run and args.resolver == []


def test_resolver_option_registers_a_python_function(tmp_path: Path) -> None:
    (tmp_path / "myresolvers.py").write_text(
        "def pick(message):\n    return '{\"via\": \"' + message.method + '\"}'\n")
    var = {"type": "CUSTOM", "name": "pick", "initWithScript": True,
           "scriptLanguage": "GROOVY", "scriptBody": "unused"}
    pol = tmp_path / "policy.json"
    pol.write_text(json.dumps(policy(joseTarget="CHOOSE_FROM_VARIABLE", joseTargetVariable=var)))
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(KEYS))
    out = subprocess.run(
        [sys.executable, "-m", "jose_engine", "apply", "--policy", str(pol), "--keys",
         str(keys), "--message", "-", "--resolver", "pick=myresolvers:pick"],
        input='{"method": "PUT"}', capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ,
             "PYTHONPATH": f"{tmp_path}{os.pathsep}{Path(__file__).resolve().parent.parent}"})
    assert out.returncode == 0, out.stderr
    token = json.loads(out.stdout)["body"]
    assert jwt.decode(token, options={"verify_signature": False})["via"] == "PUT"
    bad = apply("--policy", str(pol), "--keys", str(keys), "--message", "-",
                "--resolver", "pick=nowhere:nothing", stdin="{}")
    assert bad.returncode == 2 and "--resolver" in bad.stderr

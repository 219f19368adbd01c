"""The ``bench`` command: runs briefly, prints one JSON document or a table; no timing asserts.

Each run is short (``--seconds 0.2``); only the shape of the output is checked, never a
speed, because CI machines are shared and noisy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from jose_engine.bench import percentile
from tests.conftest import EXAMPLES

CLI = [sys.executable, "-m", "jose_engine", "bench"]
KEYS = str(EXAMPLES / "keys.json")
SIGNED = str(EXAMPLES / "policies/basic-jwt.json")          # RS256, by issuer
NESTED = str(EXAMPLES / "policies/proxy-jwk.json")          # ES256 in ECDH-ES+A256KW/A256GCM
MEASURED = {"tokens", "wall_s", "batches", "tokens_per_s", "median_us", "p99_us"}


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True,
                          timeout=120, check=False)


def bench_json(*args: str, stdin: str | None = None) -> dict[str, Any]:
    out = run("--keys", KEYS, "--seconds", "0.2", "--json", *args, stdin=stdin)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # --json: no progress bar, no warnings
    report: dict[str, Any] = json.loads(out.stdout)
    return report


def test_json_report_has_the_measurements_and_the_stage_split() -> None:
    report = bench_json("--policy", SIGNED)
    assert {"policy", "alg", "key_management", "enc", "threads", "seconds", "token_bytes",
            "sign_kid", "encrypt_kid", "ours", "stages", "peers", "skipped"} <= set(report)
    assert MEASURED <= set(report["ours"]) and report["ours"]["tokens"] > 0
    assert set(report["stages"]) == {"claims_us", "sign_us", "encrypt_us", "rest_us",
                                     "mint_us"}
    assert report["alg"] == "RS256" and report["enc"] is None
    assert report["sign_kid"] == "issuer-signing-key"
    assert report["peers"] == {} and report["skipped"] == {}


def test_nested_policy_reports_key_management_and_enc() -> None:
    report = bench_json("--policy", NESTED)
    assert (report["alg"], report["key_management"], report["enc"]) == \
        ("ES256", "ECDH-ES+A256KW", "A256GCM")
    assert report["encrypt_kid"] == "my-encryption-jwk-id"


def test_compare_times_each_peer_or_says_why_not() -> None:
    report = bench_json("--policy", SIGNED, "--compare")
    assert set(report["peers"]) | set(report["skipped"]) == \
        {"PyJWT", "joserfc", "jwcrypto", "python-jose"}
    for measured in report["peers"].values():
        assert MEASURED | {"version", "vs_ours"} <= set(measured)
    assert "PyJWT" in report["peers"]  # PyJWT signs RS256


def test_compare_skips_pyjwt_for_an_encrypted_policy() -> None:
    report = bench_json("--policy", NESTED, "--compare")
    assert report["skipped"]["PyJWT"] == "no JWE"
    assert "joserfc" in report["peers"]


def test_threads_are_reported_and_all_mint() -> None:
    report = bench_json("--policy", SIGNED, "--threads", "2")
    assert report["threads"] == 2 and report["ours"]["tokens"] > 0


def test_data_file_goes_into_every_token(tmp_path: Any) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"blob": "x" * 2000}))
    small = bench_json("--policy", SIGNED)
    large = bench_json("--policy", SIGNED, "--data", str(data))
    assert large["token_bytes"] > small["token_bytes"] + 2000


def test_data_can_come_from_stdin() -> None:
    report = bench_json("--policy", SIGNED, "--data", "-", stdin='{"n": 1}')
    assert report["ours"]["tokens"] > 0


def test_table_names_every_implementation_and_stage() -> None:
    out = run("--policy", SIGNED, "--keys", KEYS, "--seconds", "0.2", "--compare")
    assert out.returncode == 0, out.stderr
    for word in ("jose-engine", "PyJWT", "joserfc", "tokens/s", "median µs", "p99 µs",
                 "claims", "sign", "encrypt"):
        assert word in out.stdout
    assert out.stderr == ""  # stderr is not a terminal here: no progress bar


@pytest.mark.parametrize(("args", "field"), [
    (("--seconds", "0"), "--seconds"),
    (("--seconds", "nan"), "--seconds"),
    (("--threads", "0"), "--threads"),
    (("--data", "/nonexistent/data.json"), "--data"),
    (("--credential", "nobody"), "credential"),
])
def test_bad_input_exits_2_with_one_line_naming_the_field(args: tuple[str, ...],
                                                          field: str) -> None:
    out = run("--policy", SIGNED, "--keys", KEYS, "--seconds", "0.2", *args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and field in out.stderr


def test_a_missing_key_set_exits_2() -> None:
    out = run("--policy", SIGNED, "--keys", "/nonexistent/keys.json")
    assert out.returncode == 2 and out.stderr.startswith("jose-engine: error:")


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([7.0], 0.99) == 7.0

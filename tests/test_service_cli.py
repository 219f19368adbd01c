"""``jose-engine serve`` refuses bad settings with one line, and is wired into the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jose_engine.cli import build_parser
from jose_engine.service import cli

from .test_service_support import KEYS, ROOT


def serve(tmp_path: Path, *args: str,
          tokens: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JOSE_ENGINE_API_TOKENS"}
    if tokens is not None:
        env["JOSE_ENGINE_API_TOKENS"] = tokens
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "jose_engine.service", "serve", "--port", "1",
         "--db", str(tmp_path / "cli.db"), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.parametrize("tokens,args,needle", [
    (None, [], "no API tokens configured"),
    (" , ", [], "no API tokens configured"),
    ("t", ["--keys", "/no/such/keys.json"], "cannot read key set file"),
    ("t", ["--tokens-file", "/no/such/tokens"], "cannot read tokens file"),
    ("t", ["--workers", "0"], "--workers"),
    ("t", ["--environments", " , "], "--environments"),
    ("t", ["--max-body", "0"], "--max-body"),
])
def test_bad_settings_stop_the_start_with_one_line(tmp_path: Path, tokens: str | None,
                                                   args: list[str], needle: str) -> None:
    done = serve(tmp_path, *args, tokens=tokens)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and needle in done.stderr
    assert done.stderr.startswith("jose-engine: error: ")


def test_a_database_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    done = serve(tmp_path, "--db", str(tmp_path / "missing" / "dir" / "x.db"), tokens="t")
    assert done.returncode == 2 and "cannot open database" in done.stderr


def test_a_tokens_file_is_enough(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("# ops\n\nfirst\nsecond\n")
    args = build_parser(["serve"]).parse_args(
        ["serve", "--tokens-file", str(tokens), "--db", str(tmp_path / "t.db"),
         "--keys", str(KEYS), "--environments", "production,test,production"])
    config = cli.config_from_args(args)
    assert config.environments == ("production", "test")
    assert (tmp_path / "t.db").exists()


def test_the_main_cli_dispatches_serve_to_this_module() -> None:
    args = build_parser(["serve"]).parse_args(["serve", "--port", "9999", "--workers", "2"])
    assert args.func is cli.run
    assert (args.port, args.workers, args.host, args.max_body) == (9999, 2, "127.0.0.1",
                                                                  1024 * 1024)

"""Scale beyond one call: processes, threads, many compiled policies, the CLI's start.

Each test prints its measurement (run with ``-s``) and records it in the benchmark JSON's
``extra_info``; only the memory bound is asserted, since memory does not depend on how
busy the shared machine is.
"""

from __future__ import annotations

import gc
import multiprocessing
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jwt

from jose_engine import compile_policy, load_keyset
from tests.keysets import keyset, signing_jwks
from tests.policies import policy

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SECONDS = 1.5


def _mint_for(seconds: float) -> int:
    compiled = compile_policy(policy(), keyset("hs256"))
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for _ in range(200):
            compiled.mint({"user": "alice"})
        count += 200
    return count


def test_two_processes_mint_about_twice_as_many_tokens(benchmark: Any) -> None:
    benchmark.pedantic(lambda: None, rounds=1)  # registers the test with the plugin
    one = _mint_for(SECONDS)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        two = sum(pool.map(_mint_for, [SECONDS, SECONDS]))
    benchmark.extra_info.update(one_process=one, two_processes=two, ratio=two / one)
    print(f"\nHS256 tokens in {SECONDS}s: 1 process {one}, 2 processes {two}, "
          f"ratio {two / one:.2f}")


def test_threads_share_one_compiled_policy(benchmark: Any) -> None:
    benchmark.pedantic(lambda: None, rounds=1)
    compiled = compile_policy(policy(jwkIdForValidationAndSign="es256"), keyset("es256"))
    with ThreadPoolExecutor(2) as pool:
        tokens = list(pool.map(lambda i: compiled.mint({"i": i}), range(2000)))
    key = jwt.PyJWK({k: v for k, v in signing_jwks()["es256"].items() if k != "d"}).key
    for i in (0, 999, 1999):
        assert jwt.decode(tokens[i], key, algorithms=["ES256"], audience="api://one")["i"] == i
    assert len(set(tokens)) == len(tokens)


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 1e6


def test_ten_thousand_compiled_policies_fit_in_200_mb(benchmark: Any) -> None:
    benchmark.pedantic(lambda: None, rounds=1)
    keys = load_keyset(keyset("hs256", "es256", "rs256"))
    kids = ("hs256", "es256", "rs256")
    gc.collect()
    before = _rss_mb()
    start = time.perf_counter()
    compiled = [compile_policy(policy(issuer=f"https://{i}.example",
                                      jwkIdForValidationAndSign=kids[i % 3]), keys)
                for i in range(10_000)]
    took = time.perf_counter() - start
    gc.collect()
    grown = _rss_mb() - before
    benchmark.extra_info.update(rss_growth_mb=grown, compile_ms=took / 10)
    print(f"\n10,000 compiled policies: +{grown:.0f} MB resident (process {_rss_mb():.0f} MB), "
          f"{took / 10:.2f} ms per compile")
    assert len(compiled) == 10_000
    assert grown < 200


def _wall(args: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_one_cli_mint_against_importing_cryptography(benchmark: Any) -> None:
    benchmark.pedantic(lambda: None, rounds=1)
    base = _wall([sys.executable, "-c", "import cryptography"])
    mint = _wall([sys.executable, "-m", "jose_engine", "mint", "--policy",
                  str(EXAMPLES / "policies/basic-jwt.json"), "--keys",
                  str(EXAMPLES / "keys.json")])
    benchmark.extra_info.update(import_cryptography_s=base, cli_mint_s=mint, ratio=mint / base)
    print(f"\nCLI mint {mint * 1000:.0f} ms, python -c 'import cryptography' "
          f"{base * 1000:.0f} ms: ratio {mint / base:.2f}")

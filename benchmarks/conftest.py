"""pytest-benchmark settings for the grid: a fixed time budget per benchmark.

Each benchmark runs rounds of about ``ROUND_SECONDS`` (enough iterations that the timer's
own cost vanishes) for ``--mint-budget`` seconds, so the whole grid takes a few minutes on
two cores whatever the speed of the implementation. Each benchmark then also times itself
against its reference in back-to-back batches (``--paired-budget``), which gives ratios
that hold on a shared, noisy machine. Run with::

    pytest benchmarks/ --benchmark-json bench.json
    python benchmarks/report.py bench.json            # medians: µs and ratios
    python benchmarks/report.py bench.json --paired   # paired ratios
"""

from __future__ import annotations

import math
import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jose_engine import SecurityWarning

ROUND_SECONDS = 0.001
MIN_ROUNDS, MAX_ROUNDS = 15, 5000


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--mint-budget", type=float, default=0.5,
                     help="seconds of timed rounds per benchmark (default 0.5)")
    parser.addoption("--paired-budget", type=float, default=0.4,
                     help="seconds of paired batches against the reference per benchmark, "
                          "for noise-robust ratios (default 0.4; 0 skips them)")


@pytest.fixture(autouse=True)
def _quiet_security_warnings() -> Iterator[None]:
    # EdDSA, dir and friends warn in some peers; the grid is about speed, not advice.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        warnings.filterwarnings("ignore", message=".*deprecated.*")
        yield


def per_call(fn: Callable[[], object]) -> float:
    """A rough per-call time: the best of three short batches (also warms ``fn`` up)."""
    n, best = 1, math.inf
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        took = time.perf_counter() - start
        if took > ROUND_SECONDS / 4 or n >= 1 << 16:
            break
        n *= 4
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def paired_ratio(fn: Callable[[], object], ref: Callable[[], object], budget: float) -> float:
    """Median over pairs of back-to-back batches of time(fn) / time(ref), per call.

    The two batches of a pair run within about 2 ms of each other, in alternating order, so
    load from other processes hits both alike: the ratio holds where absolute times do not.
    """
    jobs = [(0, fn, max(1, round(ROUND_SECONDS / per_call(fn)))),
            (1, ref, max(1, round(ROUND_SECONDS / per_call(ref))))]
    ratios: list[float] = []
    end = time.perf_counter() + budget
    while len(ratios) < MIN_ROUNDS or time.perf_counter() < end:
        took = [0.0, 0.0]
        for i, f, n in jobs:
            start = time.perf_counter()
            for _ in range(n):
                f()
            took[i] = (time.perf_counter() - start) / n
        ratios.append(took[0] / took[1])
        jobs.reverse()  # ABBA: neither side always runs first
    return statistics.median(ratios)


@pytest.fixture
def timed(benchmark: Any, request: pytest.FixtureRequest) -> Callable[..., None]:
    """``timed(case, impl, fn, refs)``: time ``fn`` in the case's group for the report.

    ``refs`` maps names to other implementations of the case ("ours" for a peer, the bare
    recipes for ours): each gets a :func:`paired_ratio` in ``extra_info["paired"]``.
    """
    budget: float = request.config.getoption("--mint-budget")
    paired_budget: float = request.config.getoption("--paired-budget")

    def run(case: Any, impl: str, fn: Callable[[], object],
            refs: dict[str, Callable[[], object]] | None = None) -> None:
        benchmark.group = case.name
        benchmark.extra_info.update(case=case.name, kind=case.kind, impl=impl)
        t = per_call(fn)
        iterations = max(1, round(ROUND_SECONDS / t))
        rounds = int(min(MAX_ROUNDS, max(MIN_ROUNDS, budget / (t * iterations))))
        benchmark.pedantic(fn, rounds=rounds, iterations=iterations, warmup_rounds=1)
        if paired_budget > 0 and refs:
            benchmark.extra_info["paired"] = {
                name: paired_ratio(fn, ref, paired_budget / len(refs))
                for name, ref in refs.items()}
    return run

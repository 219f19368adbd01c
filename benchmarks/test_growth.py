"""Growth: raw data of 1 KB, 16 KB and 256 KB, ours against the bare primitive and every
peer; the report names the fastest peer at each size (see :data:`benchmarks.cases.GROWTH`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from benchmarks.cases import GROWTH, Case
from benchmarks.test_mint import check_case, time_case


@pytest.mark.parametrize("case", GROWTH, ids=[c.name for c in GROWTH])
def test_the_peer_mints_the_same_large_token(case: Case) -> None:
    check_case(case)


@pytest.mark.parametrize(("case", "impl"),
                         [(case, impl) for case in GROWTH for impl in case.implementations],
                         ids=[f"{c.name}-{i}" for c in GROWTH for i in c.implementations])
def test_growth(timed: Callable[..., None], case: Case, impl: str) -> None:
    time_case(timed, case, impl)

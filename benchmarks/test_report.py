"""report.py turns pytest-benchmark's JSON into the markdown ratio table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.report import main


def _bench(case: str, kind: str, impl: str, median: float,
           paired: dict[str, float] | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {"case": case, "kind": kind, "impl": impl}
    if paired:
        info["paired"] = paired
    return {"extra_info": info, "stats": {"median": median, "min": median / 2, "mean": median}}


@pytest.fixture
def bench_json(tmp_path: Path) -> Path:
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"benchmarks": [
        _bench("HS256", "JWS", "ours", 4e-6, {"bare": 3.0, "bare-hmac.digest": 1.5}),
        _bench("HS256", "JWS", "bare", 1e-6),
        _bench("HS256", "JWS", "bare-hmac.digest", 2e-6),
        _bench("HS256", "JWS", "PyJWT", 20e-6, {"ours": 6.0}),
        _bench("HS256", "JWS", "joserfc", 16e-6, {"ours": 4.5}),
        _bench("dir+A256GCM", "JWE", "ours", 5e-6),
        _bench("dir+A256GCM", "JWE", "bare", 1e-6),
        _bench("dir+A256GCM", "JWE", "joserfc", 30e-6),
        {"extra_info": {}, "stats": {"median": 1.0}},  # not a grid benchmark: ignored
    ]}))
    return path


def test_table_has_ratios_against_bare_and_each_peer(bench_json: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(bench_json)]) == 0
    out = capsys.readouterr().out
    assert "| HS256 | 4 | 1 | 4.00× | 20 (5.00×) | 16 (4.00×) | 4.00× (joserfc) |" in out
    assert "| dir+A256GCM | 5 | 1 | 5.00× | 30 (6.00×) | 6.00× (joserfc) |" in out
    assert "ours/bare-hmac.digest = 2.00×" in out


def test_ratios_only_drops_the_microseconds(bench_json: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(bench_json), "--ratios"]) == 0
    out = capsys.readouterr().out
    assert "µs" not in out
    assert "| HS256 | 4.00× | 5.00× | 4.00× | 4.00× (joserfc) |" in out


def test_a_file_without_grid_benchmarks_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"benchmarks": []}))
    assert main([str(path)]) == 1


def test_paired_ratios_replace_the_medians(bench_json: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(bench_json), "--paired"]) == 0
    out = capsys.readouterr().out
    assert "| HS256 | 3.00× | 6.00× | 4.50× | 4.50× (joserfc) |" in out
    assert "ours/bare-hmac.digest = 1.50×" in out
    assert "| dir+A256GCM | – | – |" in out  # no pairs recorded: no ratio

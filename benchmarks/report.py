"""Turn a ``pytest benchmarks/ --benchmark-json FILE`` file into the ratio table (markdown).

    python benchmarks/report.py bench.json             # µs and ratios
    python benchmarks/report.py bench.json --ratios    # ratios only (machines differ)
    python benchmarks/report.py bench.json --stat min  # min instead of median
    python benchmarks/report.py bench.json --paired    # ratios of back-to-back batches

One row per case, in the order the cases ran: ours, the bare primitive (the fastest bare
recipe when there are several), ours/bare, then each peer as µs and peer/ours, and the
fastest peer's ratio. A dash: the peer was not timed for that case (see the skips).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

PEERS = ("PyJWT", "joserfc", "jwcrypto", "python-jose")
KINDS = ("JWS", "JWE", "growth")


def load(path: Path, stat: str, *, paired: bool = False) -> dict[str, dict[str, Any]]:
    """case -> {"kind": ..., impl: seconds}, from pytest-benchmark's JSON.

    With ``paired``, the times are rebuilt from the paired ratios (ours = 1, a peer = its
    ratio to ours, a bare recipe = 1 / ours' ratio to it), so every ratio below is paired.
    """
    doc = json.loads(path.read_text())
    cases: dict[str, dict[str, Any]] = {}
    pairs: dict[str, dict[str, dict[str, float]]] = {}
    for bench in doc["benchmarks"]:
        info = bench.get("extra_info", {})
        if "case" not in info:
            continue
        row = cases.setdefault(info["case"], {"kind": info.get("kind", "")})
        row[info["impl"]] = bench["stats"][stat]
        pairs.setdefault(info["case"], {})[info["impl"]] = info.get("paired", {})
    if paired:
        for name, row in cases.items():
            _rebuild_from_pairs(row, pairs[name])
    return cases


def _rebuild_from_pairs(row: dict[str, Any], pairs: Mapping[str, Mapping[str, float]]) -> None:
    scale = row.get("ours")
    if scale is None:
        return
    for impl in list(row):
        if impl in ("kind", "ours"):
            continue
        if impl.startswith("bare"):
            ratio = pairs.get("ours", {}).get(impl)
            row[impl] = scale / ratio if ratio else None
        else:
            ratio = pairs.get(impl, {}).get("ours")
            row[impl] = scale * ratio if ratio else None
    for impl in [k for k, v in row.items() if v is None]:
        del row[impl]


def bare_of(row: Mapping[str, Any]) -> tuple[str | None, float | None]:
    """The fastest bare recipe of a row: (label, seconds)."""
    bares = [(t, name) for name, t in row.items() if name.startswith("bare")]
    if not bares:
        return None, None
    t, name = min(bares)
    return name, t


def _us(seconds: float) -> str:
    us = seconds * 1e6
    return f"{us:.3g}" if us < 1000 else f"{us:,.0f}"


def _ratio(x: float) -> str:
    return f"{x:.2f}×" if x < 10 else f"{x:.1f}×"


def table(cases: Mapping[str, Mapping[str, Any]], kind: str, *, ratios_only: bool) -> list[str]:
    rows = [(name, row) for name, row in cases.items() if row["kind"] == kind]
    if not rows:
        return []
    peers = [p for p in PEERS if any(p in row for _, row in rows)]
    if ratios_only:
        head = ["case", "ours/bare", *(f"{p}/ours" for p in peers), "fastest peer/ours"]
    else:
        head = ["case", "ours µs", "bare µs", "ours/bare", *(f"{p} µs (/ours)" for p in peers),
                "fastest peer/ours"]
    lines = [f"### {kind}", "", _md(head), _md(["---"] + ["---:"] * (len(head) - 1))]
    notes = []
    for name, row in rows:
        ours = row.get("ours")
        label, bare = bare_of(row)
        if ours is None:
            continue
        variants = {k: v for k, v in row.items() if k.startswith("bare")}
        if len(variants) > 1:
            notes.append(f"{name}: the bare column is {label}; ours/" + ", ours/".join(
                f"{k} = {_ratio(ours / v)}" for k, v in variants.items()))
        cells = [name]
        if not ratios_only:
            cells += [_us(ours), _us(bare) if bare else "–"]
        cells.append(_ratio(ours / bare) if bare else "–")
        timed = {p: row[p] for p in peers if p in row}
        for p in peers:
            if p not in timed:
                cells.append("–")
            elif ratios_only:
                cells.append(_ratio(timed[p] / ours))
            else:
                cells.append(f"{_us(timed[p])} ({_ratio(timed[p] / ours)})")
        if timed:
            best = min(timed, key=lambda p: timed[p])
            cells.append(f"{_ratio(timed[best] / ours)} ({best})")
        else:
            cells.append("–")
        lines.append(_md(cells))
    lines += [""] + [f"- {n}" for n in notes] + ([""] if notes else [])
    return lines


def _md(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render(cases: Mapping[str, Mapping[str, Any]], *, stat: str, ratios_only: bool) -> str:
    what = ("median of paired batch ratios" if stat == "paired"
            else f"ratios of the {stat} time per token")
    out = [(f"{what[0].upper()}{what[1:]}; ours/bare: how far above the primitive alone we "
            "are; peer/ours: how many times slower the peer is."), ""]
    for kind in KINDS:
        out += table(cases, kind, ratios_only=ratios_only)
    return "\n".join(out).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", type=Path, help="file written by --benchmark-json")
    parser.add_argument("--stat", default="median", choices=("median", "min", "mean"),
                        help="which statistic of the rounds to compare (default median)")
    parser.add_argument("--ratios", action="store_true", help="ratios only, no µs")
    parser.add_argument("--paired", action="store_true",
                        help="ratios from back-to-back paired batches (robust to machine "
                             "noise); implies --ratios")
    args = parser.parse_args(argv)
    cases = load(args.json, args.stat, paired=args.paired)
    if not cases:
        sys.stderr.write(f"{args.json}: no benchmark of the grid in this file\n")
        return 1
    stat = "paired" if args.paired else args.stat
    sys.stdout.write(render(cases, stat=stat, ratios_only=args.ratios or args.paired))
    return 0


if __name__ == "__main__":
    sys.exit(main())

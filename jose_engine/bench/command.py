"""The ``jose-engine bench`` command and its report: tokens/s, µs per token, stages, peers."""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Self

import orjson

from ..cli import read_input
from ..compiled import compile_policy
from ..errors import JoseEngineError
from .peers import peer_minters, peer_version
from .workload import Measurement, Workload, measure, stage_split

DEFAULT_SECONDS = 3.0
STAGE_SHARE = 0.25        # the stage split runs this fraction of --seconds, after the rest


# -- the command ------------------------------------------------------------------------------

def add_parser(sub: Any) -> None:
    """Register ``bench`` on the main CLI's subparsers."""
    p = sub.add_parser(
        "bench", help="measure minting speed with your own policy",
        description="Mint tokens with your policy and keys for a while and report tokens/s, "
                    "µs per token (median, p99), the split between claims, signing and "
                    "encryption, and with --compare the same work done by each installed "
                    "peer library.")
    p.add_argument("--policy", required=True, help="policy file (Add/Update body or policy)")
    p.add_argument("--keys", required=True, help="key set file (JWKS with credentials)")
    p.add_argument("--data", help="raw data file minted into every token, or - for stdin")
    p.add_argument("--credential", help="credential for signByIssuer / encryptByIssuer")
    p.add_argument("--seconds", type=float, default=DEFAULT_SECONDS,
                   help=f"seconds per implementation (default {DEFAULT_SECONDS:g}); the stage "
                        f"split adds {STAGE_SHARE:.0%}% of it")
    p.add_argument("--threads", type=int, default=1,
                   help="threads minting at once; tokens/s is their total (default 1)")
    p.add_argument("--compare", action="store_true",
                   help="also mint the same tokens with PyJWT, joserfc, jwcrypto, python-jose")
    p.add_argument("--json", action="store_true", help="print one JSON document, no table")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    _check_args(args)
    compiled = compile_policy(args.policy, args.keys)
    raw = None if args.data is None else read_input(args.data)
    work = Workload.build(compiled, raw, args.credential)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peers, skipped = peer_minters(work) if args.compare else ({}, {})
    stage_seconds = max(args.seconds * STAGE_SHARE, 0.05)
    total = args.seconds * (1 + len(peers)) + stage_seconds
    with _Progress(total, enabled=not args.json and sys.stderr.isatty()) as progress:
        ours = measure(work.mint, args.seconds, args.threads, progress.named("jose-engine"))
        stages = stage_split(work, stage_seconds, progress.named("stages"))
        with warnings.catch_warnings():
            # A peer's advice (joserfc: "EdDSA is deprecated") is not ours to print.
            warnings.simplefilter("ignore")
            others = {name: measure(fn, args.seconds, args.threads, progress.named(name))
                      for name, fn in peers.items()}
    report = build_report(work, args, ours, stages, others, skipped)
    if args.json:
        sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        sys.stdout.write(render_table(report))
    return 0


def _check_args(args: argparse.Namespace) -> None:
    if not math.isfinite(args.seconds) or args.seconds <= 0:
        raise JoseEngineError("must be a positive number of seconds", path="--seconds")
    if args.threads < 1:
        raise JoseEngineError("must be at least 1", path="--threads")


# -- output -----------------------------------------------------------------------------------

def build_report(work: Workload, args: argparse.Namespace, ours: Measurement,
                 stages: Mapping[str, float], peers: Mapping[str, Measurement],
                 skipped: Mapping[str, str]) -> dict[str, Any]:
    """The one JSON document ``--json`` prints, and the table's source."""
    from .. import __version__
    route = work.route
    mine = {"version": __version__, **ours.to_json()}
    others = {}
    for name, m in peers.items():
        others[name] = {"version": peer_version(name), **m.to_json(),
                        "vs_ours": round(m.median_us / ours.median_us, 3)}
    return {
        "policy": str(args.policy), "credential": work.credential,
        "alg": route.alg if work.signs or route.encrypter is None else None,
        "key_management": route.encrypter.alg if route.encrypter is not None else None,
        "enc": route.enc, "sign_kid": route.sign_kid if work.signs else None,
        "encrypt_kid": route.encrypt_kid, "threads": args.threads, "seconds": args.seconds,
        "token_bytes": len(work.sample), "ours": mine, "stages": dict(stages),
        "peers": others, "skipped": dict(skipped),
    }


def render_table(report: Mapping[str, Any]) -> str:
    """The human summary: one row per implementation, then the stage split."""
    ours = report["ours"]
    lines = [
        (f"policy {report['policy']}  alg {report['alg'] or '-'}  "
         f"key management {report['key_management'] or '-'}  enc {report['enc'] or '-'}"),
        f"threads {report['threads']}  token {report['token_bytes']} bytes",
        "",
        (f"{'implementation':<16}{'tokens/s':>12}{'median µs':>12}{'p99 µs':>10}"
         f"{'× ours':>9}"),
        _row("jose-engine", ours, 1.0),
    ]
    lines += [_row(name, m, m["vs_ours"]) for name, m in report["peers"].items()]
    lines += [f"{name:<16}skipped: {why}" for name, why in report["skipped"].items()]
    lines += ["", "stages, median µs per token (one thread, timed in turns):"]
    lines += list(_stage_rows(report["stages"]))
    return "\n".join(lines) + "\n"


def _row(name: str, m: Mapping[str, Any], ratio: float) -> str:
    return (f"{name:<16}{m['tokens_per_s']:>12,.0f}{m['median_us']:>12.2f}"
            f"{m['p99_us']:>10.2f}{ratio:>8.2f}×")


def _stage_rows(stages: Mapping[str, float]) -> Iterator[str]:
    whole = stages["mint_us"]
    for name in ("claims", "sign", "encrypt", "rest"):
        value = stages[f"{name}_us"]
        share = value / whole if whole else 0.0
        yield f"  {name:<10}{value:>10.2f}{share:>8.0%}"
    yield f"  {'mint':<10}{whole:>10.2f}"


class _Progress:
    """A tqdm bar on stderr counting seconds of the whole run; silent when disabled."""

    def __init__(self, total: float, *, enabled: bool):
        self._bar: Any = None
        self._done = 0.0
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=round(total, 1), unit="s", file=sys.stderr, leave=False,
                             bar_format="{desc:<14}{bar}| {n:.1f}/{total:.1f} s")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def named(self, name: str) -> Callable[[float], None] | None:
        """A tick callback for one phase: it takes the seconds spent in that phase."""
        bar = self._bar
        if bar is None:
            return None
        base = self._done
        bar.set_description_str(name)

        def tick(elapsed: float) -> None:
            self._done = base + elapsed
            shown = round(min(self._done, bar.total), 1)
            if shown != bar.n:  # at most ten redraws a second
                bar.n = shown
                bar.refresh()
        return tick

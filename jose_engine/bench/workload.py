"""What is minted (the policy, its data and credential) and how it is timed.

Time is taken per batch: a batch mints a few hundred tokens (about 2 ms of work) and gives
one per-token time, so the median and p99 are over batches and tokens/s is over the run.
"""

from __future__ import annotations

import functools
import json
import math
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from ..claims import parse_raw, static_claims
from ..claimvalues import calendar_expiry, fixed_lifetime_ms
from ..compiled import CompiledPolicy, Route
from ..encoding import b64u_decode
from ..policy import Policy

Minter = Callable[[], object]
BATCH_SECONDS = 0.002     # one timed batch; shorter on short runs (see _batch_target)
MIN_BATCHES = 100         # so that a p99 over batches means something
_clock = time.perf_counter


# -- what is minted ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Workload:
    """One policy, its route for the credential, the raw data and a ready ``mint`` call."""

    compiled: CompiledPolicy
    route: Route
    credential: str | None
    value: Any          # the raw data, parsed once (None: no data)
    text: str | None    # its source text
    mint: Minter
    sample: str         # one token, minted while building: it proves the inputs work

    @classmethod
    def build(cls, compiled: CompiledPolicy, raw: bytes | None,
              credential: str | None) -> Workload:
        value, text = parse_raw(raw)
        if isinstance(value, str):
            # Plain-text data only keeps its exact text through mint_raw.
            mint: Minter = functools.partial(compiled.mint_raw, raw, credential=credential)
        else:
            mint = functools.partial(compiled.mint, value, credential=credential)
        sample = str(mint())  # raises the MintError/DataError a bad input deserves
        return cls(compiled, compiled.route(credential), credential, value, text, mint, sample)

    def stages(self) -> tuple[Callable[[], bytes], Callable[[bytes], bytes] | None,
                              Callable[[bytes], bytes] | None]:
        """(claims, sign, encrypt) callables whose composition is ``mint``; None: no stage.

        An Unsecured JWT's "sign" stage is its assembly (header, payload, empty signature).
        """
        route = self.route
        render = functools.partial(self.compiled.render_claims, self.value, self.text)
        encrypter = route.encrypter
        if encrypter is None:
            return render, route.sign, None
        if route.signer is None:
            return render, None, encrypter.encrypt
        return render, route.sign, encrypter.encrypt

    @property
    def signs(self) -> bool:
        """True when tokens carry a JWS signature (alone or nested in a JWE)."""
        return self.route.signer is not None

    def headers(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """(JWS header, JWE header) as our token carries them; per-token members dropped."""
        jws = orjson.loads(b64u_decode(self.route.header[:-1]))
        if self.route.encrypter is None:
            return jws, None
        jwe = orjson.loads(b64u_decode(self.sample.split(".", 1)[0]))
        kept = {k: v for k, v in jwe.items() if k in ("alg", "enc", "kid", "typ", "cty", "p2c")}
        return jws, kept


def claims_factory(policy: Policy, value: Any, text: str | None) -> Callable[[], dict[str, Any]]:
    """Fresh claims per call, as a peer library's user would build them: same members."""
    static = static_claims(policy)
    if value is not None:
        holder = policy.jwt_claims_claim
        if holder is not None:
            escaped = policy.escape_json_string or isinstance(value, str)
            static[holder] = (text if text is not None else json.dumps(value)) \
                if escaped else value
        else:
            static.update({k: v for k, v in value.items() if k not in ("iat", "jti", "exp")})
    iat, jti = policy.add_issue_time, policy.add_jwt_id
    lifetime_ms, calendar = None, None
    if policy.add_expiration_time:
        unit, amount = policy.expiration_time_unit, policy.expiration_time_value
        assert unit is not None and amount is not None
        lifetime_ms = fixed_lifetime_ms(unit, amount)
        calendar = None if lifetime_ms is not None else (unit, amount)

    def claims() -> dict[str, Any]:
        now = time.time()
        out: dict[str, Any] = {}
        if iat:
            out["iat"] = int(now)
        if jti:
            out["jti"] = str(uuid.uuid4())
        if lifetime_ms is not None:
            out["exp"] = int(now + lifetime_ms / 1000)
        elif calendar is not None:
            out["exp"] = calendar_expiry(now, *calendar)
        out.update(static)
        return out
    return claims


# -- timing -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Measurement:
    """Tokens minted, wall time, and the per-token seconds of every batch."""

    tokens: int
    wall: float
    per_token: tuple[float, ...]

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.wall if self.wall else 0.0

    @property
    def median_us(self) -> float:
        return statistics.median(self.per_token) * 1e6

    @property
    def p99_us(self) -> float:
        return percentile(self.per_token, 0.99) * 1e6

    def to_json(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "wall_s": round(self.wall, 4),
                "batches": len(self.per_token), "tokens_per_s": round(self.tokens_per_s, 1),
                "median_us": round(self.median_us, 3), "p99_us": round(self.p99_us, 3)}


def percentile(values: tuple[float, ...] | list[float], q: float) -> float:
    """The ``q`` quantile by the nearest-rank method (no interpolation)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _batch_target(seconds: float) -> float:
    return min(BATCH_SECONDS, seconds / MIN_BATCHES)


def calibrate(fn: Minter, target: float) -> int:
    """Calls per batch so that one batch takes about ``target`` seconds (also a warm-up)."""
    n = 1
    while True:
        start = _clock()
        for _ in range(n):
            fn()
        took = _clock() - start
        if took >= target or n >= 1 << 20:
            return n
        n = max(n * 2, min(n * 16, int(n * target / took) + 1)) if took else n * 16


def measure(fn: Minter, seconds: float, threads: int = 1,
            tick: Callable[[float], None] | None = None) -> Measurement:
    """Call ``fn`` in batches from ``threads`` threads for ``seconds``; time every batch."""
    n = calibrate(fn, _batch_target(seconds))
    results: list[list[float]] = [[] for _ in range(threads)]
    start_line = threading.Barrier(threads + 1)
    deadline = [0.0]

    def work(out: list[float]) -> None:
        start_line.wait()
        end, batch = deadline[0], range(n)
        while True:  # at least one batch, however short the run
            t0 = _clock()
            for _ in batch:
                fn()
            t1 = _clock()
            out.append((t1 - t0) / n)
            if t1 >= end:
                return

    workers = [threading.Thread(target=work, args=(out,), daemon=True) for out in results]
    for w in workers:
        w.start()
    begin = _clock()
    deadline[0] = begin + seconds
    start_line.wait()
    _wait(workers, begin, tick)
    wall = _clock() - begin
    per_token = tuple(t for out in results for t in out)
    return Measurement(len(per_token) * n, wall, per_token)


def _wait(workers: list[threading.Thread], begin: float,
          tick: Callable[[float], None] | None) -> None:
    for w in workers:
        while w.is_alive():
            w.join(0.1)
            if tick is not None:
                tick(_clock() - begin)


def stage_split(work: Workload, seconds: float,
                tick: Callable[[float], None] | None = None) -> dict[str, float]:
    """Median µs per token of each stage, and of the whole ``mint``, timed in turns."""
    render, sign, encrypt = work.stages()
    claims = render()
    jws = sign(claims) if sign else claims
    calls: dict[str, Minter] = {"claims": render, "mint": work.mint}
    if sign is not None:
        calls["sign"] = functools.partial(sign, claims)
    if encrypt is not None:
        calls["encrypt"] = functools.partial(encrypt, jws)
    target = _batch_target(seconds) / len(calls)
    sizes = {name: calibrate(fn, target) for name, fn in calls.items()}
    times: dict[str, list[float]] = {name: [] for name in calls}
    begin = _clock()
    end = begin + seconds
    while True:  # in turns, so that machine noise hits every stage alike; at least once
        for name, fn in calls.items():
            n = sizes[name]
            t0 = _clock()
            for _ in range(n):
                fn()
            times[name].append((_clock() - t0) / n)
        now = _clock()
        if tick is not None:
            tick(now - begin)
        if now >= end:
            break
    out = {"sign_us": 0.0, "encrypt_us": 0.0}  # stages the policy does not have
    out.update((f"{name}_us", statistics.median(t) * 1e6) for name, t in times.items())
    out["rest_us"] = out["mint_us"] - out["claims_us"] - out["sign_us"] - out["encrypt_us"]
    return {k: round(v, 3) for k, v in out.items()}

"""The ``bench`` command: how fast your own policy mints, where the time goes, and peers.

Time is taken per batch: a batch mints a few hundred tokens (about 2 ms of work) and gives
one per-token time, so the median and p99 are over batches and tokens/s is over the run.
The peers (PyJWT, joserfc, jwcrypto, python-jose) mint the same claims with the same
``alg``, ``enc`` and key, each with its key imported once, before the clock starts.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import json
import math
import statistics
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Self

import orjson

from .claims import parse_raw, static_claims
from .claimvalues import calendar_expiry, fixed_lifetime_ms
from .cli import read_input
from .compiled import CompiledPolicy, Route, compile_policy
from .encoding import b64u_decode
from .errors import JoseEngineError
from .policy import Policy

Minter = Callable[[], object]
DEFAULT_SECONDS = 3.0
BATCH_SECONDS = 0.002     # one timed batch; shorter on short runs (see _batch_target)
MIN_BATCHES = 100         # so that a p99 over batches means something
STAGE_SHARE = 0.25        # the stage split runs this fraction of --seconds, after the rest
_clock = time.perf_counter


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



# -- peers ------------------------------------------------------------------------------------

PEERS = ("PyJWT", "joserfc", "jwcrypto", "python-jose")


class Unsupported(Exception):
    """A peer cannot mint what the policy mints; the message says why."""


def peer_minters(work: Workload) -> tuple[dict[str, Minter], dict[str, str]]:
    """Ready minters for each installed peer that supports the policy, and why others not."""
    builders = {"PyJWT": _pyjwt, "joserfc": _joserfc, "jwcrypto": _jwcrypto,
                "python-jose": _python_jose}
    jws_header, jwe_header = work.headers()
    keys = work.compiled.keys.keys
    sign_jwk = keys[work.route.sign_kid] if work.signs and work.route.sign_kid else None
    enc_jwk = keys[work.route.encrypt_kid] if work.route.encrypt_kid else None
    spec = PeerSpec(claims_factory(work.compiled.policy, work.value, work.text),
                    jws_header if work.signs else None, jwe_header,
                    _export(sign_jwk), _export(enc_jwk))
    minters: dict[str, Minter] = {}
    skipped: dict[str, str] = {}
    if spec.jws_header is None and spec.jwe_header is None:
        return minters, dict.fromkeys(builders, "unsecured tokens are not compared")
    for name, build in builders.items():
        try:
            fn = build(spec)
            fn()  # one token before timing: a peer that fails here is reported, not timed
        except ImportError:
            skipped[name] = "not installed"
        except Unsupported as exc:
            skipped[name] = str(exc)
        except Exception as exc:
            skipped[name] = f"failed: {type(exc).__name__}"
        else:
            minters[name] = fn
    return minters, skipped


def _export(key: Any) -> dict[str, Any]:
    if key is None:
        return {}
    secret = key.get("kty") == "oct" or key.has_private
    jwk: dict[str, Any] = key.export(private_key=secret, as_dict=True)
    return jwk


@dataclass(frozen=True)
class PeerSpec:
    """What a peer needs to mint our token: claims, headers and keys as plain JWK dicts."""

    claims: Callable[[], dict[str, Any]]
    jws_header: dict[str, Any] | None   # None: the policy does not sign
    jwe_header: dict[str, Any] | None   # None: the policy does not encrypt
    sign_jwk: dict[str, Any]            # {} when there is no such key
    enc_jwk: dict[str, Any]

    def extra(self) -> dict[str, Any]:
        """The JWS header without ``alg``; ``typ`` stays None when our header has none."""
        assert self.jws_header is not None
        out = {k: v for k, v in self.jws_header.items() if k != "alg"}
        out.setdefault("typ", None)
        return out


def _compact_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _pyjwt(spec: PeerSpec) -> Minter:
    import jwt
    from jwt.algorithms import get_default_algorithms
    if spec.jwe_header is not None:
        raise Unsupported("no JWE")
    if spec.jws_header is None:
        raise Unsupported("unsigned tokens are not compared")
    alg = spec.jws_header["alg"]
    if alg not in get_default_algorithms():
        raise Unsupported(f"does not support {alg}")
    key = jwt.PyJWK(spec.sign_jwk, alg).key  # a prepared key object (bytes for HMAC)
    encode, claims, headers = jwt.encode, spec.claims, spec.extra()
    return lambda: encode(claims(), key, algorithm=alg, headers=headers)


def _joserfc(spec: PeerSpec) -> Minter:
    from joserfc import jwe, jwt
    from joserfc.jwk import import_key
    claims = spec.claims
    signed: Callable[[], str] | None = None
    if spec.jws_header is not None:
        alg = spec.jws_header["alg"]
        from joserfc.jws import JWSRegistry
        if alg not in JWSRegistry.algorithms:
            raise Unsupported(f"does not support {alg}")
        sign_key, header = import_key(spec.sign_jwk), spec.jws_header
        signed = functools.partial(_joserfc_sign, jwt.encode, header, claims, sign_key, [alg])
    if spec.jwe_header is None:
        assert signed is not None
        return signed
    header = spec.jwe_header
    algs = [header["alg"], header["enc"]]
    if header["enc"] in ("XC20P", "C20P"):
        from joserfc.drafts.jwe_chacha20 import register_chacha20_poly1305
        register_chacha20_poly1305()
    supported = jwe.JWERegistry.algorithms
    if algs[0] not in supported["alg"] or algs[1] not in supported["enc"]:
        raise Unsupported(f"does not support {algs[0]} with {algs[1]}")
    enc_key, encrypt = import_key(spec.enc_jwk), jwe.encrypt_compact
    # A fresh header dict per token: joserfc writes ``epk`` into the one it is given.
    if signed is None:
        return lambda: encrypt(dict(header), _compact_json(claims()), enc_key,
                               algorithms=algs)
    inner = signed
    return lambda: encrypt(dict(header), inner(), enc_key, algorithms=algs)


def _joserfc_sign(encode: Any, header: Any, claims: Callable[[], Any], key: Any,
                  algs: list[str]) -> str:
    out: str = encode(header, claims(), key, algorithms=algs, default_type=None)
    return out


def _jwcrypto(spec: PeerSpec) -> Minter:
    from jwcrypto.common import JWException
    from jwcrypto.jwa import JWA
    from jwcrypto.jwk import JWK
    from jwcrypto.jwt import JWT
    names = [spec.jws_header["alg"]] if spec.jws_header else []
    if spec.jwe_header:
        names += [spec.jwe_header["alg"], spec.jwe_header["enc"]]
    for name in names:
        try:
            JWA.instantiate_alg(name)
        except (KeyError, JWException):
            raise Unsupported(f"does not support {name}") from None
    claims = spec.claims
    inner: Callable[[], Any] = claims
    if spec.jws_header is not None:
        sign_key, header = JWK(**spec.sign_jwk), spec.jws_header
        alg = [header["alg"]]

        def signed() -> str:
            token = JWT(header=header, claims=claims(), algs=alg)
            token.make_signed_token(sign_key)
            out: str = token.serialize()
            return out
        inner = signed
    if spec.jwe_header is None:
        return inner
    enc_key, jwe_header = JWK(**spec.enc_jwk), spec.jwe_header
    algs = [jwe_header["alg"], jwe_header["enc"]]

    def encrypted() -> str:
        # A fresh header dict per token: jwcrypto writes ``epk`` into the one it is given.
        token = JWT(header=dict(jwe_header), claims=inner(), algs=algs)
        token.make_encrypted_token(enc_key)
        out: str = token.serialize()
        return out
    return encrypted


def _python_jose(spec: PeerSpec) -> Minter:
    from jose import jwe, jwk, jwt
    from jose.constants import ALGORITHMS
    from jwcrypto.jwk import JWK
    claims = spec.claims
    signed: Callable[[], str] | None = None
    if spec.jws_header is not None:
        alg = spec.jws_header["alg"]
        if alg not in ALGORITHMS.SUPPORTED or alg.startswith("PS"):
            raise Unsupported(f"does not support {alg}")
        key, headers, encode = jwk.construct(spec.sign_jwk, alg), spec.extra(), jwt.encode
        if headers.get("typ") is None:
            headers.pop("typ")

        def sign() -> str:
            out: str = encode(claims(), key, algorithm=alg, headers=headers)
            return out
        signed = sign
    if spec.jwe_header is None:
        assert signed is not None
        return signed
    header = spec.jwe_header
    alg_e, enc = header["alg"], header["enc"]
    if alg_e not in ALGORITHMS.SUPPORTED or enc not in ALGORITHMS.SUPPORTED:
        raise Unsupported(f"does not support {alg_e} with {enc}")
    # jwe.encrypt imports its key on every call; a key object is the cheapest it takes.
    enc_key: Any = b64u_decode(spec.enc_jwk["k"]) if alg_e == "dir" \
        else JWK(**_public(spec.enc_jwk)).get_op_key("encrypt")
    encrypt, kid, cty = jwe.encrypt, header.get("kid"), header.get("cty")
    # jwe.encrypt returns bytes; decoded as every other implementation returns text.
    if signed is None:
        return lambda: encrypt(_compact_json(claims()), enc_key, encryption=enc,
                               algorithm=alg_e, kid=kid, cty=cty).decode()
    inner = signed
    return lambda: encrypt(inner(), enc_key, encryption=enc, algorithm=alg_e, kid=kid,
                           cty=cty).decode()


def _public(jwk: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq", "qi", "oth")}


def peer_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


# -- output -----------------------------------------------------------------------------------

def build_report(work: Workload, args: argparse.Namespace, ours: Measurement,
                 stages: Mapping[str, float], peers: Mapping[str, Measurement],
                 skipped: Mapping[str, str]) -> dict[str, Any]:
    """The one JSON document ``--json`` prints, and the table's source."""
    from . import __version__
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

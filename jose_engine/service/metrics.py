"""Prometheus metrics, one registry per application (per process: see docs/service.md)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Minting takes tens of microseconds (HMAC) to a few milliseconds (RSA, PBES2 aside).
_LATENCY_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                    0.05, 0.1, 0.25, 1.0)
NO_ENC = "none"


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.minted = Counter(
            "jose_engine_tokens_minted", "Tokens minted, by policy, alg and enc.",
            ["environment", "project", "proxy", "policy", "alg", "enc"],
            registry=self.registry)
        self.errors = Counter(
            "jose_engine_errors", "Error responses, by error code.", ["code"],
            registry=self.registry)
        self.mint_seconds = Histogram(
            "jose_engine_mint_seconds", "Time to mint one token.", ["alg", "enc"],
            buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.deployments = Counter(
            "jose_engine_deployments", "Deployments, by environment and outcome.",
            ["environment", "outcome"], registry=self.registry)

    def token(self, where: tuple[str, str, str, str], alg: str, enc: str | None,
              seconds: float) -> None:
        enc_label = enc or NO_ENC
        self.minted.labels(*where, alg, enc_label).inc()
        self.mint_seconds.labels(alg, enc_label).observe(seconds)

    def error(self, code: str) -> None:
        self.errors.labels(code).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)

"""Prometheus metrics of one process (`GET /metrics`): turns, runs, timings, tokens, cost,
open streams, provider errors and refused requests.

Each `Runtime` has a `Metrics` with a registry of its own (several apps in one test process
never collide); with several replicas each serves its own, for Prometheus to sum. Label
values are agent names and error codes from the settings and `errors.py`: a bounded set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

if TYPE_CHECKING:  # turns imports this module
    from chatwait.turns.records import RunRecord

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
TTFT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
NOT_PROVIDER_ERRORS = frozenset({"cancelled", "interrupted"})
"""Run end codes that say who stopped the run, not what the provider did."""


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.turns = Counter("chatwait_turns", "Turns ended, by status.", ["status"], registry=r)
        self.runs = Counter(
            "chatwait_runs",
            "Agent runs ended, by agent and status.",
            ["agent", "status"],
            registry=r,
        )
        self.ttft = Histogram(
            "chatwait_run_ttft_seconds",
            "Time to first token of runs that streamed any.",
            ["agent"],
            buckets=TTFT_BUCKETS,
            registry=r,
        )
        self.latency = Histogram(
            "chatwait_run_latency_seconds",
            "Wall-clock time of ended runs.",
            ["agent"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "chatwait_tokens",
            "Tokens of ended runs, by agent and kind (input, output).",
            ["agent", "kind"],
            registry=r,
        )
        self.cost = Counter(
            "chatwait_cost_usd",
            "Cost of ended runs where a price is known.",
            ["agent"],
            registry=r,
        )
        self.open_streams = Gauge(
            "chatwait_open_streams", "SSE streams this process is serving now.", registry=r
        )
        self.provider_errors = Counter(
            "chatwait_provider_errors",
            "Runs that failed at the provider, by agent and code.",
            ["agent", "code"],
            registry=r,
        )
        self.refused = Counter(
            "chatwait_refused_requests",
            "Requests refused before anything ran, by limit.",
            ["limit"],
            registry=r,
        )

    def run_ended(self, record: RunRecord) -> None:
        """Count one ended run: status, timings, tokens, cost, its provider error."""
        agent = record.agent
        self.runs.labels(agent, record.status).inc()
        if record.ttft_ms is not None:
            self.ttft.labels(agent).observe(record.ttft_ms / 1000)
        if record.latency_ms is not None:
            self.latency.labels(agent).observe(record.latency_ms / 1000)
        self.tokens.labels(agent, "input").inc(record.usage.input_tokens)
        self.tokens.labels(agent, "output").inc(record.usage.output_tokens)
        if record.cost_usd:
            self.cost.labels(agent).inc(record.cost_usd)
        if record.error is not None and record.error.code not in NOT_PROVIDER_ERRORS:
            self.provider_errors.labels(agent, record.error.code).inc()

    def turn_ended(self, status: str) -> None:
        self.turns.labels(status).inc()

    def request_refused(self, limit: str) -> None:
        """The hook for limits: a request refused by `limit` (e.g. `turns_per_minute`)."""
        self.refused.labels(limit).inc()

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric."""
        return generate_latest(self.registry)

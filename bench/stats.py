"""Samples and their summaries: percentiles, and what one arm of a workload measured."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

PERCENTILES = (50, 95, 99)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (an observed value; p99 of < 100 samples is their max)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict[str, float | int | None]:
    """n, p50, p95, p99 (ms, rounded to 0.01)."""
    out: dict[str, float | int | None] = {"n": len(values)}
    for p in PERCENTILES:
        value = percentile(values, p)
        out[f"p{p}"] = None if value is None else round(value, 2)
    return out


def stamp_us(text: str) -> int | None:
    """The send time a stamped token carries (`@<µs since epoch> `), or None."""
    text = text.strip()
    if text.startswith("@") and text[1:].isdigit():
        return int(text[1:])
    return None


@dataclass(slots=True)
class RunSample:
    """One agent run as the client saw it."""

    ttft_ms: float | None = None
    delays_ms: list[float] = field(default_factory=list)
    tokens: int = 0
    error: str | None = None

    def token(self, text: str, started: float, now: float, arrived_us: int) -> None:
        """Record a text chunk that arrived at `now` (perf_counter) / `arrived_us` (epoch)."""
        if self.ttft_ms is None:
            self.ttft_ms = (now - started) * 1000
        stamp = stamp_us(text)
        if stamp is not None:
            self.delays_ms.append((arrived_us - stamp) / 1000)
        self.tokens += 1


@dataclass(slots=True)
class TurnSample:
    """One turn (one or more runs) as the client saw it."""

    runs: list[RunSample]
    latency_ms: float
    error: str | None = None


@dataclass
class ArmTotals:
    """Everything one arm of one workload measured, over all its rounds."""

    ttft_ms: list[float] = field(default_factory=list)
    delay_ms: list[float] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    turns: int = 0
    runs: int = 0
    tokens: int = 0
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0

    def add(self, turn: TurnSample, expected_tokens: int) -> None:
        self.turns += 1
        self.latency_ms.append(turn.latency_ms)
        problems = [turn.error] if turn.error else []
        for run in turn.runs:
            self.runs += 1
            self.tokens += run.tokens
            self.delay_ms.extend(run.delays_ms)
            if run.ttft_ms is not None:
                self.ttft_ms.append(run.ttft_ms)
            if run.error:
                problems.append(run.error)
            elif run.tokens != expected_tokens:
                problems.append(f"{run.tokens} tokens, {expected_tokens} expected")
        if problems:
            self.errors += 1
            if len(self.error_examples) < 3:
                self.error_examples.append("; ".join(problems)[:200])

    def result(self) -> dict[str, Any]:
        per_token = self.cpu_s * 1000 / self.tokens if self.tokens else None
        return {
            "turns": self.turns,
            "runs": self.runs,
            "tokens": self.tokens,
            "errors": self.errors,
            "error_examples": self.error_examples,
            "ttft_ms": summary(self.ttft_ms),
            "delay_ms": summary(self.delay_ms),
            "latency_ms": summary(self.latency_ms),
            "turns_per_s": round(self.turns / self.wall_s, 2) if self.wall_s else None,
            "cpu_s": round(self.cpu_s, 3),
            "cpu_ms_per_token": None if per_token is None else round(per_token, 3),
        }


def per_turn_cpu(rows: Sequence[dict[str, Any]], arm_name: str = "stream") -> list[dict[str, Any]]:
    """ChatWait's server CPU per turn, split into a fixed part and a per-token part.

    For each (concurrency, agents) measured at two answer lengths or more, the streaming
    arm's (`arm_name`'s) CPU per turn is fitted as `fixed + per_token * tokens` (least
    squares over the lengths): `fixed` is what a turn costs besides its tokens (request,
    validation, transactions, SSE set-up), the work a new turn puts on streams already
    flowing.
    """
    groups: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for row in rows:
        arm = row["arms"].get(arm_name)
        if not arm or not arm["turns"]:
            continue
        tokens = row["answer_tokens"] * row["agents"]
        groups.setdefault((row["concurrency"], row["agents"]), []).append(
            (tokens, arm["cpu_s"] * 1000 / arm["turns"])
        )
    out = []
    for (concurrency, agents), points in sorted(groups.items()):
        if len({x for x, _ in points}) < 2:
            continue
        mean_x = sum(x for x, _ in points) / len(points)
        mean_y = sum(y for _, y in points) / len(points)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
            (x - mean_x) ** 2 for x, _ in points
        )
        out.append(
            {
                "concurrency": concurrency,
                "agents": agents,
                "fixed_ms_per_turn": round(mean_y - slope * mean_x, 2),
                "ms_per_token": round(slope, 4),
                "ms_per_turn": {f"{int(x)} tokens": round(y, 2) for x, y in points},
            }
        )
    return out

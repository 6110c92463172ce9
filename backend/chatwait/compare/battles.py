"""A battle: two contestants, how it ended, and what each answer cost in time and money."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

Outcome: TypeAlias = Literal["a", "b", "tie", "both_bad"]
OUTCOMES: tuple[Outcome, ...] = ("a", "b", "tie", "both_bad")
"""`a` or `b` won; `tie` and `both_bad` are kept apart, and both rate as half a win each."""


@dataclass(frozen=True, slots=True)
class Side:
    """One contestant of a battle (an opaque key, e.g. "agent/model") and its answer's
    measurements; None where unknown."""

    key: str
    ttft_ms: float | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None
    length: int | None = None
    """The answer's length in characters; `markdown` its markdown elements (style control)."""
    markdown: int | None = None


@dataclass(frozen=True, slots=True)
class Battle:
    a: Side
    b: Side
    outcome: Outcome

    def score_a(self) -> float:
        """A's share of the win: 1, 0, or one half for a tie or both bad."""
        if self.outcome == "a":
            return 1.0
        if self.outcome == "b":
            return 0.0
        return 0.5

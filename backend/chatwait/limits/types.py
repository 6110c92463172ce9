"""What the limits layer takes and hands out: limit sets, estimates, usage, limit states."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeAlias

from chatwait.config import Settings

LimitName: TypeAlias = Literal[
    "turns_per_minute", "concurrent_turns", "tokens_per_day", "cost_usd_per_month"
]
LIMIT_NAMES: tuple[LimitName, ...] = (
    "turns_per_minute",
    "concurrent_turns",
    "tokens_per_day",
    "cost_usd_per_month",
)
UNLIMITED = "unlimited"
"""An override's value that turns a limit off for one user."""


@dataclass(frozen=True, slots=True)
class LimitSet:
    """One user's limits; None = unlimited."""

    turns_per_minute: int | None = None
    concurrent_turns: int | None = None
    tokens_per_day: int | None = None
    cost_usd_per_month: float | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> LimitSet:
        return cls(
            turns_per_minute=settings.limit_turns_per_minute,
            concurrent_turns=settings.limit_concurrent_turns,
            tokens_per_day=settings.quota_tokens_per_day,
            cost_usd_per_month=settings.quota_cost_usd_per_month,
        )

    def overridden(self, overrides: dict[str, Any]) -> LimitSet:
        """These defaults with an admin's overrides (`"unlimited"` → None) on top."""
        values: dict[str, Any] = {}
        for name in LIMIT_NAMES:
            if name in overrides:
                value = overrides[name]
                values[name] = None if value == UNLIMITED else value
        return replace(self, **values)


@dataclass(frozen=True, slots=True)
class RunEstimate:
    """What one run is expected to use at most: its prompt plus its maximum output."""

    run_id: str
    tokens: int
    cost_usd: float = 0.0
    """0 when the model's price is unknown (its runs cost nothing to the cost quota)."""


@dataclass(frozen=True, slots=True)
class RunUsage:
    """What one run really used, settled into the ledger when it ends."""

    agent: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None


@dataclass(frozen=True, slots=True)
class LimitState:
    """One limit as the IETF RateLimit headers tell it (draft-ietf-httpapi-ratelimit-headers)."""

    policy: str
    """turns | concurrency | tokens | cost"""
    quota: int
    remaining: int
    window: int | None = None
    """Seconds the quota is for (None: not a window, concurrency)."""
    reset: int | None = None
    """Seconds until `remaining` grows back (None: when a running turn ends)."""
    unit: str | None = None
    """None: requests (turns)."""


@dataclass(frozen=True, slots=True)
class RateCount:
    """A `hit`'s answer: whether the turn was counted, and the window after it."""

    counted: bool
    used: int
    """Turns in the window (this one included when counted)."""
    reset: int
    """Whole seconds until the oldest of them leaves the window."""


@dataclass(slots=True)
class Admission:
    """A turn let in: its lease holds a concurrency slot and its quota reservation."""

    turn_id: str
    user_id: str
    estimates: dict[str, RunEstimate]
    states: list[LimitState] = field(default_factory=list)
    """The user's limits just after this turn was counted (for the `RateLimit` header)."""
    lease_dropped: bool = False
    """Its lease is gone (its last run settled): ending the turn has nothing to delete."""

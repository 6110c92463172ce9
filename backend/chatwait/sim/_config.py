"""Knobs of the offline provider: how fast it answers, how long, and how it misbehaves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatwait.config import Settings


@dataclass(frozen=True)
class SimConfig:
    """Timing and size of the simulated model; frozen so one app never changes speed mid-run."""

    ttft_ms: float = 120.0
    """Delay before the first token (and before a non-streamed answer)."""
    tokens_per_second: float = 60.0
    """Pace of streamed tokens after the first, held against absolute deadlines."""
    answer_tokens: int = 60
    """Tokens in an `offline-1` answer; `offline-2` answers with twice as many."""
    retry_after_seconds: float = 1.0
    """What `fault-429` asks the client to wait (`Retry-After` and `retry-after-ms`)."""
    hang_seconds: float = 3600.0
    """How long `fault-hang` holds a request before giving up with a 503."""
    stamp_tokens: bool = False
    """Benchmarks: each token is `@<microseconds since epoch> ` taken when it is sent."""

    def __post_init__(self) -> None:
        if self.ttft_ms < 0 or self.retry_after_seconds < 0 or self.hang_seconds < 0:
            raise ValueError("ttft_ms, retry_after_seconds and hang_seconds must be >= 0")
        if self.tokens_per_second <= 0:
            raise ValueError("tokens_per_second must be > 0")
        if self.answer_tokens < 1:
            raise ValueError("answer_tokens must be >= 1")

    @classmethod
    def from_settings(cls, settings: Settings) -> SimConfig:
        """The knobs `Settings` exposes (`SIM_*`); the rest keep their defaults."""
        return cls(
            ttft_ms=float(settings.sim_ttft_ms),
            tokens_per_second=float(settings.sim_tokens_per_second),
            answer_tokens=int(settings.sim_answer_tokens),
        )

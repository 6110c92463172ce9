"""Refusals of a turn over a limit: 429, with when to retry and every limit's state.

LimitExceeded (ChatWaitError, 429)
├── RateLimited     rate_limited     turns per minute, concurrent turns
└── QuotaExceeded   quota_exceeded   tokens per day, cost per month
"""

from __future__ import annotations

from chatwait.errors import ChatWaitError
from chatwait.limits.types import LimitName, LimitState


class LimitExceeded(ChatWaitError):
    """A turn refused before anything of it exists."""

    status_code = 429
    retryable = True

    def __init__(
        self, message: str, *, limit: LimitName, retry_after: int, states: list[LimitState]
    ) -> None:
        super().__init__(message)
        self.limit = limit
        self.retry_after = max(1, retry_after)
        """Whole seconds to wait (`Retry-After`), never earlier than the refused limit's reset."""
        self.states = states

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "limit": self.limit, "retry_after": self.retry_after}


class RateLimited(LimitExceeded):
    code = "rate_limited"


class QuotaExceeded(LimitExceeded):
    code = "quota_exceeded"

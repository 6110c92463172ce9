"""Turns per minute per user: a moving window, in Redis with REDIS_URL, else in the database.

With REDIS_URL the window is the `limits` library's moving window in its async Redis
storage, so every replica counts the same turns. Without it the window is rows of the
database (`_window.DatabaseTurnRate`): it survives a restart and replicas sharing the
database count together. Either way unlimited users are still counted (a window too wide
to fill), so `GET /me/usage` can say how many turns they started in the last minute.

Every call takes the admission's session: the database window counts in it (atomic with
the turn's lease); Redis ignores it. A Redis that cannot be reached lets turns through
uncounted (logged): the database still holds concurrency and quotas, and turns go on
without Redis the way the event log does.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from sqlalchemy.ext.asyncio import AsyncSession

from chatwait.limits._window import COUNT_ONLY, WINDOW_SECONDS, DatabaseTurnRate
from chatwait.limits.types import RateCount

logger = logging.getLogger("chatwait.limits")

__all__ = [
    "COUNT_ONLY",
    "WINDOW_SECONDS",
    "RateCount",
    "RedisTurnRate",
    "TurnRate",
    "turn_rate",
]


class TurnRate(Protocol):
    """Counts each user's turn starts in a sliding minute (`limit` None: unlimited)."""

    async def hit(self, session: AsyncSession, user_id: str, limit: int | None) -> RateCount:
        """Count one turn unless the window is full; the window as it then stands."""
        ...

    async def stats(
        self, session: AsyncSession, user_id: str, limit: int | None
    ) -> tuple[int, int]:
        """(turns in the window, whole seconds until the oldest of them leaves it)."""
        ...

    async def close(self) -> None: ...


def turn_rate(*, redis_url: str | None, key_prefix: str, now: Callable[[], datetime]) -> TurnRate:
    """Redis's window with REDIS_URL, else the database's (on the `now` clock)."""
    if redis_url:
        return RedisTurnRate(redis_url=redis_url, key_prefix=key_prefix)
    return DatabaseTurnRate(now=now)


class RedisTurnRate:
    """The `limits` library's moving window in Redis, shared by every replica."""

    def __init__(self, *, redis_url: str, key_prefix: str = "chatwait") -> None:
        self._storage = RedisStorage(
            f"async+{redis_url}",
            implementation="redispy",
            key_prefix=f"{key_prefix}:turn-limits",
            wrap_exceptions=True,
        )
        self._limiter = MovingWindowRateLimiter(self._storage)

    @staticmethod
    def _item(limit: int | None) -> RateLimitItem:
        return RateLimitItemPerMinute(COUNT_ONLY if limit is None else limit)

    async def hit(self, session: AsyncSession, user_id: str, limit: int | None) -> RateCount:
        if limit == 0:
            return RateCount(False, 0, WINDOW_SECONDS)
        try:
            counted = await self._limiter.hit(self._item(limit), "turns", user_id)
        except StorageError as exc:
            counted = _unreachable(exc)
        return RateCount(counted, *await self.stats(session, user_id, limit))

    async def stats(
        self, session: AsyncSession, user_id: str, limit: int | None
    ) -> tuple[int, int]:
        if limit == 0:
            return 0, WINDOW_SECONDS
        item = self._item(limit)
        try:
            window = await self._limiter.get_window_stats(item, "turns", user_id)
        except StorageError as exc:
            _unreachable(exc)
            return 0, WINDOW_SECONDS
        used = item.amount - window.remaining
        reset = math.ceil(window.reset_time - time.time()) if used else WINDOW_SECONDS
        return used, max(1, min(WINDOW_SECONDS, reset))

    async def close(self) -> None:
        """Close the Redis client (limits has no close of its own); the counts stay."""
        client = getattr(self._storage.bridge, "storage", None)
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()


def _unreachable(exc: StorageError) -> bool:
    """Let the turn through: the rate window cannot be read (Redis down)."""
    logger.warning("turns per minute not counted: %s", type(exc.storage_error).__name__)
    return True

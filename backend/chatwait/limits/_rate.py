"""Turns per minute per user: a moving window of the `limits` library.

In memory, or in Redis (its async storage) when REDIS_URL is set, so every replica counts
the same turns. Unlimited users are still counted (a window too wide to fill), so
`GET /me/usage` can say how many turns they started in the last minute.

A Redis that cannot be reached lets turns through uncounted (logged): the database still
holds concurrency and quotas, and turns go on without Redis the way the event log does.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

logger = logging.getLogger("chatwait.limits")

WINDOW_SECONDS = 60
COUNT_ONLY = 1_000_000
"""The window an unlimited user's turns are counted in."""


def _storage(redis_url: str | None, key_prefix: str) -> Storage:
    if not redis_url:
        return MemoryStorage()
    return RedisStorage(
        f"async+{redis_url}",
        implementation="redispy",
        key_prefix=f"{key_prefix}:turn-limits",
        wrap_exceptions=True,
    )


class TurnRate:
    """Counts each user's turn starts in a sliding minute."""

    def __init__(self, *, redis_url: str | None = None, key_prefix: str = "chatwait") -> None:
        self._storage = _storage(redis_url, key_prefix)
        self._limiter = MovingWindowRateLimiter(self._storage)

    @staticmethod
    def _item(limit: int | None) -> RateLimitItem:
        return RateLimitItemPerMinute(COUNT_ONLY if limit is None else limit)

    async def test(self, user_id: str, limit: int | None) -> bool:
        """Whether one more turn fits now (counts nothing)."""
        if limit == 0:
            return False
        try:
            return await self._limiter.test(self._item(limit), "turns", user_id)
        except StorageError as exc:
            return _unreachable(exc)

    async def hit(self, user_id: str, limit: int | None) -> bool:
        """Count one turn; False (nothing counted) if the window is full."""
        if limit == 0:
            return False
        try:
            return await self._limiter.hit(self._item(limit), "turns", user_id)
        except StorageError as exc:
            return _unreachable(exc)

    async def stats(self, user_id: str, limit: int | None) -> tuple[int, int]:
        """(turns in the window, whole seconds until the oldest of them leaves it)."""
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
        if isinstance(self._storage, RedisStorage):
            client = getattr(self._storage.bridge, "storage", None)
            if client is not None and hasattr(client, "aclose"):
                await client.aclose()


def _unreachable(exc: StorageError) -> bool:
    """Let the turn through: the rate window cannot be read (Redis down)."""
    logger.warning("turns per minute not counted: %s", type(exc.storage_error).__name__)
    return True

"""Login and registration attempts per client IP and per email (the `limits` library).

A moving window in memory, or in Redis when REDIS_URL is set so every replica counts the
same attempts. Emails are counted by digest: the limiter's keys hold no address.
"""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from chatwait.accounts.errors import TooManyAttempts


def _storage(redis_url: str | None, key_prefix: str) -> Storage:
    if not redis_url:
        return MemoryStorage()
    return RedisStorage(
        f"async+{redis_url}", implementation="redispy", key_prefix=f"{key_prefix}:limits"
    )


class AttemptThrottle:
    """At most `max_attempts` per `window_seconds` for each key."""

    def __init__(
        self,
        *,
        max_attempts: int,
        window_seconds: int,
        redis_url: str | None = None,
        key_prefix: str = "chatwait",
    ) -> None:
        self._item: RateLimitItem = RateLimitItemPerSecond(max_attempts, window_seconds)
        self._storage = _storage(redis_url, key_prefix)
        self._limiter = MovingWindowRateLimiter(self._storage)

    async def login(self, *, ip: str | None, email: str) -> None:
        """Count one login attempt; raise `TooManyAttempts` past either limit."""
        await self._hit([f"login-ip:{ip or 'unknown'}", f"login-email:{_digest(email)}"])

    async def register(self, *, ip: str | None) -> None:
        await self._hit([f"register-ip:{ip or 'unknown'}"])

    async def forget_email(self, email: str) -> None:
        """A login that succeeded clears its email's count (not its IP's)."""
        await self._limiter.clear(self._item, f"login-email:{_digest(email)}")

    async def _hit(self, keys: list[str]) -> None:
        refused = [key for key in keys if not await self._limiter.hit(self._item, key)]
        if refused:
            raise TooManyAttempts(max([await self._retry_after(key) for key in refused]))

    async def _retry_after(self, key: str) -> int:
        stats = await self._limiter.get_window_stats(self._item, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def close(self) -> None:
        """Close the Redis client (limits has no close of its own); the counts stay."""
        if isinstance(self._storage, RedisStorage):
            client = getattr(self._storage.bridge, "storage", None)
            if client is not None and hasattr(client, "aclose"):
                await client.aclose()


def _digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:32]

"""Replica leases: one Redis key per live replica, kept alive by its heartbeat.

    {prefix}:replica:{owner}   value: the owner id; expires after REPLICA_LEASE_SECONDS
    {prefix}:reaping:{owner}   short lock: one survivor ends a dead owner's turns

A replica that stops renewing (killed, frozen, cut off from Redis) loses its key within
one lease; survivors take a missing key to mean the owner is gone. A survivor only
judges others after its own lease has been renewed without a break for a whole lease
period: after a Redis outage or restart every key is gone at once, and the live
replicas need one heartbeat to put theirs back before anyone may be called dead.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger("chatwait.cluster")


class Lease:
    """This replica's lease, and the view of everyone else's."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        owner: str,
        lease_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.clock = clock
        self._lease_ms = max(1, math.ceil(lease_seconds * 1000))
        self._held_since: float | None = None
        self._ever_held = False

    def key(self, owner: str) -> str:
        return f"{self.prefix}:replica:{owner}"

    @property
    def steady(self) -> bool:
        """Renewed without a break for a whole lease: safe to judge other replicas."""
        held = self._held_since
        return held is not None and self.clock() - held >= self.lease_seconds

    async def renew(self) -> bool:
        """Set or extend the lease; False (logged once per outage) when Redis is out of reach."""
        try:
            previous = await self.redis.set(
                self.key(self.owner), self.owner, px=self._lease_ms, get=True
            )
        except (RedisError, OSError) as exc:
            if self._held_since is not None:
                logger.warning("replica %s: cannot renew its lease: %s", self.owner, exc)
            self._held_since = None
            return False
        if previous is None and self._ever_held:
            logger.warning(
                "replica %s: its lease had lapsed; survivors may have interrupted its turns",
                self.owner,
            )
        if self._held_since is None:
            self._held_since = self.clock()
        self._ever_held = True
        return True

    async def release(self) -> None:
        """Drop the lease at a clean shutdown (its turns are final by then)."""
        try:
            await self.redis.delete(self.key(self.owner))
        except (RedisError, OSError) as exc:
            logger.warning("replica %s: could not release its lease: %s", self.owner, exc)
        self._held_since = None

    async def dead(self, owners: Iterable[str]) -> list[str]:
        """The owners among `owners` that hold no lease."""
        candidates = [o for o in owners if o != self.owner]
        if not candidates:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for owner in candidates:
                pipe.exists(self.key(owner))
            found = await pipe.execute()
        return [owner for owner, exists in zip(candidates, found, strict=True) if not exists]

    async def claim_reaping(self, owner: str) -> bool:
        """Whether this replica is the one to end `owner`'s turns (a lock held one lease)."""
        key = f"{self.prefix}:reaping:{owner}"
        return bool(await self.redis.set(key, self.owner, nx=True, px=self._lease_ms))

"""Cancel from any replica: a Redis pub/sub channel per owner.

    {prefix}:cancel:{owner}   message: a turn id the owner should cancel

Pub/sub is fire-and-forget, but `PUBLISH` answers how many subscribers got the message,
and only the owner subscribes to its channel: 1 means the owner has the request, 0 means
it is not listening (gone, or between reconnects), and the caller says so instead of
answering `cancelling` for a cancel that will never happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

logger = logging.getLogger("chatwait.cluster")

_RESUBSCRIBE_SECONDS = 1.0
"""Pause before subscribing again after the subscription's connection broke."""


async def _close(pubsub: PubSub) -> None:
    await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped


class CancelChannel:
    """Listens for cancels addressed to this replica and sends them to others."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        owner: str,
        on_cancel: Callable[[str], Awaitable[object]],
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.owner = owner
        self.on_cancel = on_cancel
        self._task: asyncio.Task[None] | None = None

    def channel(self, owner: str) -> str:
        return f"{self.prefix}:cancel:{owner}"

    async def start(self) -> None:
        """Subscribe before returning, so a cancel sent right after start-up is heard."""
        pubsub = await self._subscribe()
        self._task = asyncio.create_task(self._listen(pubsub), name=f"cancel-{self.owner}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def send(self, owner: str, turn_id: str) -> bool:
        """Ask `owner` to cancel `turn_id`; True when the owner received the request."""
        receivers = await self.redis.publish(self.channel(owner), turn_id)
        return int(receivers) > 0

    async def _subscribe(self) -> PubSub:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel(self.owner))
        except BaseException:
            await _close(pubsub)
            raise
        return pubsub

    async def _listen(self, pubsub: PubSub | None) -> None:
        """Hand each message to `on_cancel`; subscribe again whenever the connection drops."""
        lost = False
        while True:
            try:
                if pubsub is None:
                    pubsub = await self._subscribe()
                    lost = False
                    logger.warning("replica %s: cancel channel subscribed again", self.owner)
                message = await pubsub.get_message(timeout=_RESUBSCRIBE_SECONDS)
                if message is not None and message.get("type") == "message":
                    await self._deliver(str(message["data"]))
            except (RedisError, OSError) as exc:
                if not lost:
                    logger.warning("replica %s: cancel channel lost: %s", self.owner, exc)
                lost = True
                if pubsub is not None:
                    with contextlib.suppress(RedisError, OSError):
                        await _close(pubsub)
                pubsub = None
                await asyncio.sleep(_RESUBSCRIBE_SECONDS)
            except asyncio.CancelledError:
                if pubsub is not None:
                    with contextlib.suppress(RedisError, OSError):
                        await _close(pubsub)
                raise

    async def _deliver(self, turn_id: str) -> None:
        try:
            await self.on_cancel(turn_id)
        except Exception:
            logger.exception("replica %s: cancelling turn %s failed", self.owner, turn_id)

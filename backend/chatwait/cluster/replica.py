"""This process as one replica among several: lease, remote cancel, dead-owner reaping.

Started by the runtime when `REDIS_URL` is set. Every `REPLICA_HEARTBEAT_SECONDS` the
heartbeat task renews this replica's lease, retries publishing turns that ended while
the event log was unreachable, and (once its lease is steady) looks for `running` turns
whose owner holds no lease, and ends them `interrupted`. A dead replica's runs are
therefore interrupted within about `REPLICA_LEASE_SECONDS + REPLICA_HEARTBEAT_SECONDS`
of its death, by whichever survivor claims it first, without waiting for a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from chatwait.cluster.cancel import CancelChannel
from chatwait.cluster.lease import Lease
from chatwait.cluster.orphans import end_owner_turns, running_owners
from chatwait.config import Settings
from chatwait.errors import Conflict
from chatwait.event_log import EventLogUnavailable, TurnEventLog
from chatwait.store import Database, repo
from chatwait.turns import TurnService

logger = logging.getLogger("chatwait.cluster")


class Cluster:
    """Everything one replica does to cooperate with the others through Redis."""

    def __init__(
        self,
        *,
        settings: Settings,
        owner: str,
        db: Database,
        event_log: TurnEventLog,
        turns: TurnService,
    ) -> None:
        if not settings.redis_url:
            raise ValueError("replicas cooperate through Redis: REDIS_URL is not set")
        self.settings = settings
        self.owner = owner
        self.db = db
        self.event_log = event_log
        self.turns = turns
        prefix = settings.redis_key_prefix
        self.redis = Redis.from_url(
            settings.redis_url,
            decode_responses=True,
            socket_connect_timeout=5.0,
            socket_timeout=5.0,
            client_name=f"{prefix}:replica",
        )
        self.lease = Lease(
            self.redis, prefix=prefix, owner=owner, lease_seconds=settings.replica_lease_seconds
        )
        self.cancels = CancelChannel(
            self.redis, prefix=prefix, owner=owner, on_cancel=self._cancel_here
        )
        self._stopping = asyncio.Event()
        self._heartbeat: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Take the lease and subscribe to cancels before serving any request."""
        if not await self.lease.renew():
            raise EventLogUnavailable("cannot take this replica's lease in Redis")
        await self.cancels.start()
        self.turns.remote_cancel = self.remote_cancel
        self._heartbeat = asyncio.create_task(self._beat(), name=f"heartbeat-{self.owner}")

    async def stop(self) -> None:
        """Stop the heartbeat and the cancel listener, then give the lease back."""
        self._stopping.set()
        if self._heartbeat is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        await self.cancels.stop()
        await self.lease.release()
        await self.redis.aclose()

    async def remote_cancel(self, turn_id: str) -> None:
        """`TurnService.remote_cancel`: ask the replica that runs `turn_id` to cancel it."""
        async with self.db.session() as session:
            turn = await repo.get_any_turn(session=session, turn_id=turn_id)
        owner = turn.owner if turn is not None else None
        if owner is None:
            raise Conflict(f"turn {turn_id} has no owner that could cancel it")
        try:
            if await self.cancels.send(owner, turn_id):
                return
            gone = owner in await self.lease.dead([owner])
        except (RedisError, OSError) as exc:
            raise Conflict(
                f"cannot reach the replica running turn {turn_id}: {exc}",
                code="replica_unreachable",
                retryable=True,
            ) from None
        if gone:
            raise Conflict(
                f"the replica running turn {turn_id} has stopped; the turn will end "
                "interrupted shortly",
                code="replica_gone",
            )
        raise Conflict(
            f"the replica running turn {turn_id} is not listening right now; try again",
            code="replica_unreachable",
            retryable=True,
        )

    async def _cancel_here(self, turn_id: str) -> None:
        if not self.turns.cancel_local(turn_id):
            logger.info("cancel for turn %s: not live here (already ended)", turn_id)

    async def _beat(self) -> None:
        """One tick per heartbeat until stopped; a failing tick never ends the loop."""
        interval = self.settings.replica_heartbeat_seconds
        while not self._stopping.is_set():
            try:
                await self._tick()
            except Exception as exc:  # the database may be down: say so, try next tick
                logger.warning("replica %s: heartbeat tick failed: %r", self.owner, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), interval)

    async def _tick(self) -> None:
        if not await self.lease.renew():
            return
        await self.turns.republish()
        if self.lease.steady:
            await self._reap()

    async def _reap(self) -> None:
        """End the running turns of every owner whose lease is gone."""
        owners = await running_owners(self.db)
        for owner in await self.lease.dead(owners):
            if not await self.lease.claim_reaping(owner):
                continue
            try:
                ended = await end_owner_turns(db=self.db, event_log=self.event_log, owner=owner)
            except EventLogUnavailable as exc:
                logger.warning("replica %s is gone but its turns wait: %s", owner, exc)
                continue
            logger.warning("replica %s is gone: ended %d of its turns interrupted", owner, ended)

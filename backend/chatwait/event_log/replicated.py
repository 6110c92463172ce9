"""The turn event log of a replica: its own turns in memory, everyone's in Redis.

With several replicas every turn's events must reach Redis, so that any replica can serve
a resume. Appending each event to Redis as it is made cost one round trip (a Lua `EVAL`,
~100 µs of client CPU) per token, and made every reader wait on Redis, even on the
replica that writes the turn (docs/benchmarks.md). Here:

- the writer appends to a `MemoryEventLog` (no I/O) and its own replica's readers read
  from there, exactly as in the embedded setup;
- a flusher task sends the turns' new events to Redis in batches: every `flush_seconds`
  one pipelined round trip carries every turn's batch, and a turn whose run starts or
  ends is sent at once (that turn alone, so the ends of other turns' runs do not turn
  every stream's batching back into a round trip per token), so readers on other
  replicas see every event, in order, exactly once, at most about one tick later;
- `finish` flushes the turn, then marks it ended in Redis.

A batch Redis refuses (it restarted empty and lost the turn) is sent again whole from
seq 1, once; refused again, someone else ended the turn there (a survivor took this
replica for dead) and the turn stops replicating. While Redis is unreachable the batches
wait and local readers go on. A replica that dies takes its unflushed tail with it: the
survivor that ends its turns marks where the replicated events stopped (`mark_reset`),
and a client that had seen further restarts the stream (409 `stream_reset`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from chatwait.event_log.base import (
    EventLogUnavailable,
    LoggedEvent,
    LogRead,
    SeqRefused,
    TurnEventLog,
)
from chatwait.event_log.memory import MemoryEventLog
from chatwait.event_log.redis import RedisEventLog

logger = logging.getLogger("chatwait.event_log")

URGENT_TYPES = frozenset({"turn_started", "run_started", "run_done", "run_error", "turn_done"})
"""Events flushed at once: where a run or the turn begins or ends, readers elsewhere
should not wait a tick."""


@dataclass(slots=True)
class _Outbox:
    """A turn's events not yet in Redis."""

    pending: list[LoggedEvent] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    refilled: bool = False
    abandoned: bool = False


class ReplicatedEventLog(TurnEventLog):
    """`TurnEventLog` served from memory for this replica's turns, replicated to Redis."""

    def __init__(
        self, local: MemoryEventLog, shared: RedisEventLog, *, flush_seconds: float = 0.05
    ) -> None:
        self.local = local
        self.shared = shared
        """Every replica's turns; the cluster ends dead replicas' turns there."""
        self.flush_seconds = flush_seconds
        self._outboxes: dict[str, _Outbox] = {}
        self._urgent: set[str] = set()
        """Turns with an event readers elsewhere should not wait a tick for."""
        self._wake = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._closing = False
        self._unreachable = False

    async def start(self) -> None:
        await self.shared.start()
        await self.local.start()
        self._flusher = asyncio.create_task(self._flush_forever(), name="event-log-flusher")

    async def close(self) -> None:
        """Stop the flusher (it ends by itself: Python 3.11's `asyncio.timeout` can swallow
        a cancel that lands as its own deadline passes), send what is pending, close."""
        self._closing = True
        self._wake.set()
        if self._flusher is not None:
            await self._flusher
        await self.flush_all()
        await self.local.close()
        await self.shared.close()

    async def append(self, turn_id: str, event: LoggedEvent) -> None:
        await self.local.append(turn_id, event)
        self._outboxes.setdefault(turn_id, _Outbox()).pending.append(event)
        if event.type in URGENT_TYPES:
            self._urgent.add(turn_id)
            self._wake.set()

    async def finish(self, turn_id: str) -> None:
        """Mark ended here at once; in Redis after the turn's last events are there.

        Raises `EventLogUnavailable` while Redis is unreachable (the writer retries).
        """
        await self.local.finish(turn_id)
        outbox = self._outboxes.get(turn_id)
        if outbox is not None:
            await self._flush_ending(turn_id, outbox)
            if outbox.abandoned:
                self._outboxes.pop(turn_id, None)
                return
        await self.shared.finish(turn_id)
        self._outboxes.pop(turn_id, None)

    async def reopen(self, turn_id: str, events: list[LoggedEvent]) -> None:
        """Live again here (this replica now writes it) and in Redis, before any append."""
        await self.shared.reopen(turn_id, events)
        await self.local.reopen(turn_id, events)

    async def mark_reset(self, turn_id: str, after: int) -> None:
        await self.shared.mark_reset(turn_id, after)

    async def read(
        self, turn_id: str, after: int, *, wait: float, limit: int | None = None
    ) -> LogRead | None:
        """This replica's own turns from memory; any other turn from Redis.

        A turn that ended here and has nothing after `after` is asked of Redis too:
        another replica may have reopened it for a new run (a fusion, a regenerate).
        """
        found = await self.local.read(turn_id, after, wait=0, limit=limit)
        if found is None:
            return await self.shared.read(turn_id, after, wait=wait, limit=limit)
        if found.events or wait <= 0 and not found.finished:
            return found
        if not found.finished:
            return await self.local.read(turn_id, after, wait=wait, limit=limit)
        shared = await self.shared.read(turn_id, after, wait=wait, limit=limit)
        return shared if shared is not None and shared.last_seq > found.last_seq else found

    async def flush_all(self) -> None:
        """Send every turn's pending events now, in one round trip (best effort: a Redis
        out of reach is logged and the batches wait)."""
        self._urgent.clear()
        await self._flush_turns(list(self._outboxes))

    async def _flush_forever(self) -> None:
        loop = asyncio.get_running_loop()
        tick_at = loop.time() + self.flush_seconds
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(tick_at):
                    await self._wake.wait()
            self._wake.clear()
            tick_at = await self._flush_due(loop, tick_at)

    async def _flush_due(self, loop: asyncio.AbstractEventLoop, tick_at: float) -> float:
        """Every turn at the tick, else the urgent ones; the next tick's time."""
        if self._closing:  # `close` sends what is left
            return tick_at
        if loop.time() < tick_at:
            urgent, self._urgent = self._urgent, set()
            await self._flush_turns(urgent)
            return tick_at
        await self.flush_all()
        return loop.time() + self.flush_seconds

    async def _flush_turns(self, turn_ids: Iterable[str]) -> None:
        """These turns' pending events in one pipelined round trip. A turn whose outbox
        is locked is being flushed by its `finish` (`_flush_ending`), which sends what this
        would have."""
        taken: list[tuple[str, _Outbox, list[LoggedEvent]]] = []
        for turn_id in turn_ids:
            outbox = self._outboxes.get(turn_id)
            if outbox is None or outbox.abandoned or not outbox.pending or outbox.lock.locked():
                continue
            await outbox.lock.acquire()  # unlocked: taken at once, no other task runs
            taken.append((turn_id, outbox, list(outbox.pending)))
        if not taken:
            return
        try:
            try:
                refusals = await self.shared.append_batches([(t, b) for t, _, b in taken])
            except EventLogUnavailable as exc:
                self._lost(exc)
                return
            self._reached()
            for (turn_id, outbox, batch), refused in zip(taken, refusals, strict=True):
                if refused is None:
                    del outbox.pending[: len(batch)]
                    continue
                try:
                    await self._refill(turn_id, outbox, refused)
                except EventLogUnavailable as exc:  # the batch waits for the next tick
                    self._lost(exc)
        finally:
            for _, outbox, _ in taken:
                outbox.lock.release()

    async def _flush_ending(self, turn_id: str, outbox: _Outbox) -> None:
        """The ending turn's pending events in one batch, after a tick's flush of it in
        flight; raises `EventLogUnavailable` (the events stay, the writer retries)."""
        async with outbox.lock:
            if outbox.abandoned or not outbox.pending:
                return
            batch = list(outbox.pending)
            try:
                await self.shared.append_many(turn_id, batch)
            except EventLogUnavailable as exc:
                self._lost(exc)
                raise
            except SeqRefused as exc:
                await self._refill(turn_id, outbox, exc)
                return
            self._reached()
            del outbox.pending[: len(batch)]

    def _lost(self, exc: EventLogUnavailable) -> None:
        if not self._unreachable:
            logger.warning("event log: Redis unreachable, batches wait: %s", exc)
        self._unreachable = True

    def _reached(self) -> None:
        if self._unreachable:
            logger.warning("event log: Redis reachable again")
            self._unreachable = False

    async def _refill(self, turn_id: str, outbox: _Outbox, refused: SeqRefused) -> None:
        """Redis lost the turn: send it whole from seq 1, once; else stop replicating it."""
        everything = await self.local.read(turn_id, 0, wait=0)
        if not outbox.refilled and refused.expected == 1 and everything is not None:
            outbox.refilled = True
            try:
                await self.shared.append_many(turn_id, everything.events)
                outbox.pending.clear()
                return
            except SeqRefused:
                pass
        logger.warning("turn %s: the shared event log refuses its events: %s", turn_id, refused)
        outbox.abandoned = True
        outbox.pending.clear()

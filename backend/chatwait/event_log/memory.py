"""The in-process turn event log: the embedded default, one process, no Redis."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from chatwait.event_log.base import LoggedEvent, LogRead, SeqRefused, TurnEventLog
from chatwait.latch import Latch


@dataclass(slots=True)
class _TurnBuffer:
    events: list[LoggedEvent] = field(default_factory=list)
    changed: Latch = field(default_factory=Latch)
    finished_at: float | None = None
    reset_after: int | None = None


class MemoryEventLog(TurnEventLog):
    """Keeps live turns whole and finished ones for `ttl_seconds`, at most `max_turns`.

    Waiting readers share one `Latch` per turn, swapped on every append, so a thousand
    idle readers cost one future each and no polling. Finished turns are also
    kept in the order they finished, which is the order they expire in: a new turn drops
    the expired and over-the-cap ones from the front instead of scanning every turn.
    """

    def __init__(
        self,
        *,
        ttl_seconds: float = 600.0,
        max_turns: int = 2000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._turns: OrderedDict[str, _TurnBuffer] = OrderedDict()
        self._finished: OrderedDict[str, None] = OrderedDict()
        """Ids of the finished turns in `_turns`, the earliest finished first."""
        self._ttl = ttl_seconds
        self._max_turns = max_turns
        self._clock = clock

    def __len__(self) -> int:
        return len(self._turns)

    async def append(self, turn_id: str, event: LoggedEvent) -> None:
        buffer = self._turns.get(turn_id)
        if buffer is None:
            self._evict()
            buffer = self._turns[turn_id] = _TurnBuffer()
        expected = len(buffer.events) + 1
        if event.seq != expected:
            raise SeqRefused(turn_id, event.seq, expected)
        buffer.events.append(event)
        self._wake(buffer)

    async def finish(self, turn_id: str) -> None:
        buffer = self._turns.get(turn_id)
        if buffer is not None:
            buffer.finished_at = self._clock()
            self._finished[turn_id] = None
            self._finished.move_to_end(turn_id)
            self._wake(buffer)

    async def reopen(self, turn_id: str, events: list[LoggedEvent]) -> None:
        buffer = self._turns.get(turn_id)
        if buffer is None or self._expired(buffer):
            self._turns.pop(turn_id, None)
            self._evict()
            buffer = self._turns[turn_id] = _TurnBuffer(events=list(events))
        buffer.finished_at = None
        self._finished.pop(turn_id, None)

    async def mark_reset(self, turn_id: str, after: int) -> None:
        buffer = self._turns.get(turn_id)
        if buffer is not None:
            buffer.reset_after = after

    async def read(
        self, turn_id: str, after: int, *, wait: float, limit: int | None = None
    ) -> LogRead | None:
        buffer = self._turns.get(turn_id)
        if buffer is None or self._expired(buffer):
            return None
        if after >= len(buffer.events) and buffer.finished_at is None and wait > 0:
            # One wait per token per reader, held by every idle stream: the latch's own
            # timed wait (a future and a timer), no task or timeout scope.
            await buffer.changed.wait_for(wait)
        events, start = buffer.events, max(after, 0)
        end = len(events) if limit is None else min(len(events), start + limit)
        return LogRead(
            events=events[start:end],
            last_seq=len(events),
            finished=buffer.finished_at is not None and end == len(events),
            reset_after=buffer.reset_after,
        )

    async def close(self) -> None:
        for buffer in self._turns.values():
            buffer.changed.set()

    def _wake(self, buffer: _TurnBuffer) -> None:
        """Wake the turn's waiting readers; with none waiting (a reader registers before
        it awaits), the unset latch stays: no new object per appended token."""
        if buffer.changed.waited_on():
            buffer.changed.set()
            buffer.changed = Latch()

    def _expired(self, buffer: _TurnBuffer) -> bool:
        return buffer.finished_at is not None and self._clock() - buffer.finished_at > self._ttl

    def _evict(self) -> None:
        """Drop expired turns, then the earliest finished while over the cap (live turns
        stay): from the front of `_finished`, so a start costs what it drops."""
        while self._finished:
            turn_id = next(iter(self._finished))
            buffer = self._turns.get(turn_id)
            kept = buffer is not None and not self._expired(buffer)
            if kept and len(self._turns) < self._max_turns:
                return
            del self._finished[turn_id]
            self._turns.pop(turn_id, None)

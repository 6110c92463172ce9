"""A turn keeps going when its event log fails, and catches the log up when it is back.

In-process, no Redis needed: `FlakyLog` is an in-memory log that can be down (every
call raises `EventLogUnavailable`, as the Redis log does when Redis is unreachable) or
restarted empty (as a Redis without persistence comes back).
"""

from __future__ import annotations

import pytest

from chatwait.event_log import EventLogUnavailable, LoggedEvent, LogRead, MemoryEventLog
from chatwait.event_log.base import TurnEventLog
from chatwait.turns import LiveTurn
from chatwait.turns.events import Delta, RunStarted, TurnDone, TurnStarted

TURN = "turn-1"


class FlakyLog(TurnEventLog):
    """A memory log that can be taken down and restarted empty."""

    def __init__(self) -> None:
        self.inner = MemoryEventLog()
        self.down = False

    def restart_empty(self) -> None:
        self.inner = MemoryEventLog()

    def _check(self) -> None:
        if self.down:
            raise EventLogUnavailable("the log is down")

    async def append(self, turn_id: str, event: LoggedEvent) -> None:
        self._check()
        await self.inner.append(turn_id, event)

    async def finish(self, turn_id: str) -> None:
        self._check()
        await self.inner.finish(turn_id)

    async def reopen(self, turn_id: str, events: list[LoggedEvent]) -> None:
        self._check()
        await self.inner.reopen(turn_id, events)

    async def mark_reset(self, turn_id: str, after: int) -> None:
        self._check()
        await self.inner.mark_reset(turn_id, after)

    async def read(
        self, turn_id: str, after: int, *, wait: float, limit: int | None = None
    ) -> LogRead | None:
        self._check()
        return await self.inner.read(turn_id, after, wait=wait, limit=limit)


async def _logged(log: FlakyLog) -> LogRead:
    read = await log.inner.read(TURN, 0, wait=0)
    assert read is not None
    return read


async def test_emits_never_fail_while_the_log_is_down_and_close_catches_up() -> None:
    log = FlakyLog()
    live = LiveTurn(TURN, "conversation", log)
    await live.emit(TurnStarted(TURN, "conversation", []))
    log.down = True
    await live.emit(RunStarted("run"))
    await live.emit(Delta("run", 0, "hi"))
    assert [e.seq for e in live.transcript] == [1, 2, 3], "the transcript keeps everything"
    assert live.published == 1
    assert await live.close_log() is False, "still down: the caller retries later"
    log.down = False
    await live.emit(TurnDone(TURN, "done"), publish=False)
    assert await live.close_log() is True
    read = await _logged(log)
    assert read.events == live.transcript and read.finished


async def test_a_log_restarted_empty_is_refilled_from_the_transcript() -> None:
    log = FlakyLog()
    live = LiveTurn(TURN, "conversation", log)
    await live.emit(TurnStarted(TURN, "conversation", []))
    await live.emit(RunStarted("run"))
    log.restart_empty()
    await live.emit(Delta("run", 0, "hi"))
    read = await _logged(log)
    assert read.events == live.transcript, "seq 1.. again, not a gap"


async def test_a_log_someone_else_wrote_is_left_alone() -> None:
    """A survivor ended this turn in the log (it took this replica for dead)."""
    log = FlakyLog()
    live = LiveTurn(TURN, "conversation", log)
    await live.emit(TurnStarted(TURN, "conversation", []))
    await log.inner.append(TURN, LoggedEvent(2, "turn_done", '{"status":"interrupted"}'))
    await live.emit(RunStarted("run"))
    assert await live.close_log() is True, "nothing more to do for this turn's log"
    read = await _logged(log)
    assert [e.type for e in read.events] == ["turn_started", "turn_done"]


@pytest.mark.parametrize("down_at_close", [False, True])
async def test_close_log_reports_whether_the_log_was_finished(down_at_close: bool) -> None:
    log = FlakyLog()
    live = LiveTurn(TURN, "conversation", log)
    await live.emit(TurnStarted(TURN, "conversation", []))
    log.down = down_at_close
    assert await live.close_log() is (not down_at_close)

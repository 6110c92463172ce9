"""Read a turn's events after a seq: from the event log, live, else from the database.

Readers only read. The generator a reader returns may be cancelled at any point (the
client went away) and nothing but the reader notices.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from chatwait.errors import NotFound, ValidationFailed
from chatwait.store import Database, repo
from chatwait.streams import LoggedEvent, LogRead, TurnEventLog
from chatwait.turns.views import replay_events


class TurnReader:
    """Opens event streams for resumable SSE."""

    def __init__(self, *, log: TurnEventLog, db: Database, wait_seconds: float = 30.0) -> None:
        self.log = log
        self.db = db
        self.wait_seconds = wait_seconds

    async def open(self, turn_id: str, after: int) -> AsyncIterator[LoggedEvent]:
        """Check the turn exists and `after` is not past its end, then stream from there."""
        first = await self.log.read(turn_id, after, wait=0)
        if first is None:
            events = await self._stored(turn_id)
            _check_after(after, events[-1].seq if events else 0)
            return _iterate(events[after:])
        _check_after(after, first.last_seq)
        return self._follow(turn_id, after, first)

    async def _stored(self, turn_id: str) -> list[LoggedEvent]:
        async with self.db.session() as session:
            turn = await repo.get_turn(session=session, turn_id=turn_id)
            if turn is None:
                raise NotFound(f"turn {turn_id} does not exist")
            return replay_events(turn)

    async def _follow(self, turn_id: str, after: int, read: LogRead) -> AsyncIterator[LoggedEvent]:
        while True:
            for event in read.events:
                yield event
                after = event.seq
                if event.type == "turn_done":
                    return
            if read.finished:
                return
            next_read = await self.log.read(turn_id, after, wait=self.wait_seconds)
            if next_read is None:
                for event in (await self._stored(turn_id))[after:]:
                    yield event
                return
            read = next_read


def _check_after(after: int, last_seq: int) -> None:
    if after > last_seq:
        raise ValidationFailed(
            f"Last-Event-ID {after} is past the end of this turn (its last event is {last_seq})"
        )


async def _iterate(events: list[LoggedEvent]) -> AsyncIterator[LoggedEvent]:
    for event in events:
        yield event

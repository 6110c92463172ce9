"""Read a turn: its events after a seq (from the event log, live, else from the
database), or its record as stored now.

Readers only read. The generator a reader returns may be cancelled at any point (the
client went away) and nothing but the reader notices.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from chatwait.errors import Conflict, NotFound, ValidationFailed
from chatwait.event_log import LoggedEvent, LogRead, TurnEventLog
from chatwait.store import Database, repo
from chatwait.turns.blind import revealing
from chatwait.turns.records import RunRecord, StartedTurn, TurnRecord
from chatwait.turns.transcript import replay_events

READ_BATCH_EVENTS = 1024
"""At most this many events per log read: a reader whose client is slow holds one such
batch while it waits on the socket, not every event of the turn since it last sent."""

CATCH_UP_SECONDS = 1.0
"""How long a resume ahead of this replica's copy of a live turn waits for it."""

_FIRST_POLL_SECONDS = 0.005
_LAST_POLL_SECONDS = 0.05
"""How often a reader polls for a live turn the log does not hold yet: soon, then at
about the shared log's flush interval."""


class TurnReader:
    """Opens event streams for resumable SSE."""

    def __init__(
        self, *, event_log: TurnEventLog, db: Database, wait_seconds: float = 30.0
    ) -> None:
        self.event_log = event_log
        self.db = db
        self.wait_seconds = wait_seconds

    async def open(
        self, turn_id: str, after: int, *, user_id: str
    ) -> AsyncIterator[list[LoggedEvent]]:
        """The user's turn after `after`: 404 when it is missing or someone else's.

        Checked in the database before the event log is read, whichever log holds the
        turn (an unscoped resumable stream let any user read another's live stream in
        LibreChat, CVE-2026-31950). A blind turn streams blind until it is revealed, then
        with names (`blind.revealing`).
        """
        async with self.db.session() as session:
            blindness = await repo.turn_blindness(session=session, user_id=user_id, turn_id=turn_id)
            if blindness is None:
                raise NotFound(f"turn {turn_id} does not exist")
            runs: list[RunRecord] = []
            if blindness[0] and blindness[1] is not None:
                turn = await repo.get_turn(session=session, user_id=user_id, turn_id=turn_id)
                runs = [RunRecord.from_row(run) for run in turn.runs] if turn else []
        events = await self._open(turn_id, after)
        return revealing(events, runs) if runs else events

    async def open_started(
        self, started: StartedTurn, after: int
    ) -> AsyncIterator[list[LoggedEvent]]:
        """The turn a start answered with: its caller owns it, nothing to look up."""
        return await self._open(started.turn_id, after)

    async def _open(self, turn_id: str, after: int) -> AsyncIterator[list[LoggedEvent]]:
        """Check `after` is not past the turn's end, then stream from there.

        Events that were ready together come as one list, and SSE sends each list as one
        write: a busy server, or a run that streamed before its turn was stored, then pays
        one send (a syscall, the middleware chain) per batch instead of per token.
        """
        first = await self.event_log.read(turn_id, after, wait=0, limit=READ_BATCH_EVENTS)
        if first is None:
            events, reset_after, live = await self._stored(turn_id)
            if live:
                first = await self._await_log(turn_id, after)
        if first is None:
            if reset_after is not None and after > reset_after:
                raise _stream_reset(turn_id)
            _check_after(after, events[-1].seq if events else 0)
            return _iterate(events[after:])
        if first.reset_after is not None and after > first.reset_after:
            raise _stream_reset(turn_id)
        if after > first.last_seq and not first.finished:
            first = await self._catch_up(turn_id, after, first)
        _check_after(after, first.last_seq)
        return self._follow(turn_id, after, first)

    async def _await_log(self, turn_id: str, after: int) -> LogRead | None:
        """A turn stored as running that the log does not hold yet: wait a moment for it.

        Another replica's first events reach the shared log a flush after its own client
        got them, and the stored rows of a live turn hold only its start: answering from
        them ended the stream after `run_started`, with no `turn_done`. None when the log
        still lacks the turn after `CATCH_UP_SECONDS` (its writer died, or the log lost it).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CATCH_UP_SECONDS
        pause = _FIRST_POLL_SECONDS
        while (left := deadline - loop.time()) > 0:
            await asyncio.sleep(min(pause, left))
            found = await self.event_log.read(turn_id, after, wait=0, limit=READ_BATCH_EVENTS)
            if found is not None:
                return found
            pause = min(pause * 2, _LAST_POLL_SECONDS)
        return None

    async def _catch_up(self, turn_id: str, after: int, read: LogRead) -> LogRead:
        """A live turn whose log is behind the client's `Last-Event-ID`: wait a moment.

        Another replica's events reach the shared log in batches, so a client that saw
        seq N there and reconnects here at once can be a tick ahead of this copy; it is
        past the end only if the log does not get there within `CATCH_UP_SECONDS`.
        """
        # Each read waits only what is left; none is cancelled from outside (a blocking
        # Redis read cut by a timeout leaves its connection with an unread reply).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CATCH_UP_SECONDS
        while read.last_seq < after and not read.finished:
            left = deadline - loop.time()
            if left <= 0:
                break
            again = await self.event_log.read(turn_id, read.last_seq, wait=left)
            if again is None:
                break
            read = again
        if read.last_seq < after:
            return read
        return await self.event_log.read(turn_id, after, wait=0, limit=READ_BATCH_EVENTS) or read

    async def until_done(self, started: StartedTurn) -> None:
        """Until the turn has ended, wherever it runs (its `turn_done` is readable)."""
        async for _ in await self.open_started(started, 0):
            pass

    async def record(self, turn_id: str, *, user_id: str) -> TurnRecord:
        """The user's turn and its runs as stored now (`running` while live); 404 when it
        is missing or someone else's."""
        async with self.db.session() as session:
            turn = await repo.get_turn(session=session, user_id=user_id, turn_id=turn_id)
            if turn is None:
                raise NotFound(f"turn {turn_id} does not exist")
            return TurnRecord.from_row(turn)

    async def _stored(self, turn_id: str) -> tuple[list[LoggedEvent], int | None, bool]:
        """The turn's events from the database, past which seq a resume must restart, and
        whether it is stored as still running.

        Rebuilt events (the process running the turn died before storing its transcript)
        are numbered afresh: a `Last-Event-ID` a client got from the dead process means
        nothing in that numbering, and answering it used to mix two numberings or send an
        empty stream with no `turn_done`. Such a resume gets 409 `stream_reset` instead,
        as does one past the point where a survivor found a dead replica's log ending.
        """
        async with self.db.session() as session:
            turn = await repo.get_any_turn(session=session, turn_id=turn_id)
            if turn is None:
                raise NotFound(f"turn {turn_id} does not exist")
            reset_after = 0 if not turn.transcript else turn.reset_after
            return replay_events(turn), reset_after, turn.status == "running"

    async def _follow(
        self, turn_id: str, after: int, read: LogRead
    ) -> AsyncIterator[list[LoggedEvent]]:
        while True:
            batch = _through_turn_done(read.events)
            if batch:
                yield batch
                after = batch[-1].seq
                if batch[-1].type == "turn_done":
                    return
            if read.finished:
                return
            next_read = await self.event_log.read(
                turn_id, after, wait=self.wait_seconds, limit=READ_BATCH_EVENTS
            )
            if next_read is None:
                events, reset_after, _ = await self._stored(turn_id)
                rest = [] if reset_after is not None and after > reset_after else events[after:]
                async for stored in _iterate(rest):
                    yield stored
                return
            read = next_read


def _stream_reset(turn_id: str) -> Conflict:
    return Conflict(
        f"the live events of turn {turn_id} were lost with the process that ran it; read it "
        "again from the start (no Last-Event-ID) or GET the turn",
        code="stream_reset",
    )


def _check_after(after: int, last_seq: int) -> None:
    if after > last_seq:
        raise ValidationFailed(
            f"Last-Event-ID {after} is past the end of this turn (its last event is {last_seq})"
        )


def _through_turn_done(events: list[LoggedEvent]) -> list[LoggedEvent]:
    """`events` up to and including a `turn_done` (nothing follows it on a stream)."""
    for position, event in enumerate(events):
        if event.type == "turn_done":
            return events[: position + 1]
    return events


async def _iterate(events: list[LoggedEvent]) -> AsyncIterator[list[LoggedEvent]]:
    """Stored events as one stream: up to the next `turn_done`, as from the log (a run
    added to the ended turn follows in the next stream, after that `turn_done`)."""
    events = _through_turn_done(events)
    if events:
        yield events

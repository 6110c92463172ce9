"""A turn in progress: its runs, and the single writer of its events and seq numbers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from chatwait.event_log import EventLogUnavailable, LoggedEvent, SeqRefused, TurnEventLog
from chatwait.latch import Latch
from chatwait.limits import Admission
from chatwait.statuses import EndStatus
from chatwait.turns.events import TurnEvent, TurnStarted, encode
from chatwait.turns.live_run import LiveRun
from chatwait.turns.transcript import format_transcript

logger = logging.getLogger("chatwait.turns")

PUBLISH_RETRY_SECONDS = 1.0
"""After the log failed, emits skip it this long: a run never waits on a dead Redis per token."""


@dataclass(eq=False)
class LiveTurn:
    """Numbers events 1, 2, 3, ... and appends them to the log in that order.

    Runs emit concurrently; the lock keeps seq order and log order the same even when an
    append awaits (Redis). The transcript is kept so the turn row can store it at the end.
    """

    turn_id: str
    conversation_id: str
    event_log: TurnEventLog
    transcript: list[LoggedEvent] = field(default_factory=list)
    runs: list[LiveRun] = field(default_factory=list)
    """In request order."""
    user_id: str = ""
    """Whose turn it is: only they may cancel it."""
    runs_going: int = 0
    """Runs not yet ended; the turn service counts them down."""
    cancel_status: EndStatus | None = None
    """Set by cancel or shutdown: the status runs still streaming will end with."""
    admission: Admission | None = None
    """Its hold on the user's limits (None: no limits); its runs settle into it."""
    stored: bool = False
    """Its rows are final: a cancel now is a conflict, though the turn is still here
    while its end is published."""
    opened: Latch = field(default_factory=Latch)
    """Set once `turn_started` is logged: runs emit their own events from then on."""
    finished: Latch = field(default_factory=Latch)
    published: int = 0
    """How many transcript events the log holds; behind while the log is unreachable."""
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _retry_at: float | None = None
    _refilled: bool = False
    _abandoned: bool = False

    async def open(self, conversation_id: str) -> None:
        """The turn's rows exist: log `turn_started`, then let the runs log theirs."""
        self.conversation_id = conversation_id
        await self.emit(TurnStarted(self.turn_id, conversation_id, [r.ref() for r in self.runs]))
        self.opened.set()

    def cancel(self, status: EndStatus) -> None:
        """End every unfinished run with `status` (the first cancel's status wins)."""
        self.cancel_status = self.cancel_status or status
        for run in self.runs:
            run.cancel()

    async def emit(
        self,
        event: TurnEvent,
        *,
        publish: bool = True,
        on_numbered: Callable[[], None] | None = None,
    ) -> LoggedEvent:
        """Number the event, keep it, publish it; never fails because the log did.

        `publish=False` keeps it for `close_log` to publish: `turn_done` waits until the
        turn row is final, so a client that read it never finds the turn `running`.
        `on_numbered` runs as the event joins the transcript, before any await after it.
        """
        async with self._lock:
            logged = LoggedEvent(len(self.transcript) + 1, event.type, encode(event.payload()))
            self.transcript.append(logged)
            if on_numbered is not None:
                on_numbered()
            if publish:
                await self._publish(force=False)
            return logged

    async def close_log(self) -> bool:
        """Publish what the log misses and mark the turn ended; False: retry later."""
        async with self._lock:
            if not await self._publish(force=True):
                return False
            if self._abandoned:
                return True
            try:
                await self.event_log.finish(self.turn_id)
            except EventLogUnavailable:
                return False
            return True

    async def _publish(self, *, force: bool) -> bool:
        """Append the events the log misses, in order; False while the log is unreachable.

        A lost log must not fail runs (Redis down): the transcript keeps every event for
        the turn row, and a later emit catches the log up. A log that refuses the next seq
        lost the turn (Redis restarted empty) and is refilled from seq 1 once; refused
        again, someone else ended the turn there (a survivor took this replica for dead)
        and this turn stops publishing.
        """
        if self._abandoned:
            return True
        if not force and self._retry_at is not None and time.monotonic() < self._retry_at:
            return False
        try:
            while self.published < len(self.transcript):
                await self.event_log.append(self.turn_id, self.transcript[self.published])
                self.published += 1
            self._refilled = False
        except EventLogUnavailable as exc:
            if self._retry_at is None:
                logger.warning("turn %s: event log unreachable, runs go on: %s", self.turn_id, exc)
            self._retry_at = time.monotonic() + PUBLISH_RETRY_SECONDS
            return False
        except SeqRefused as exc:
            if self.published and not self._refilled:
                self._refilled, self.published = True, 0
                return await self._publish(force=True)
            logger.warning("turn %s: the event log refuses its events: %s", self.turn_id, exc)
            self._abandoned = True
        self._retry_at = None
        return True

    def transcript_text(self) -> str:
        """The events as the turn row stores them (`transcript.format_transcript`)."""
        return format_transcript(self.transcript)

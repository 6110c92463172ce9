"""A turn in progress: the single writer of its events and their seq numbers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from chatwait.streams import LoggedEvent, TurnEventLog
from chatwait.turns.events import TurnEvent, encode


@dataclass(eq=False)
class LiveTurn:
    """Numbers events 1, 2, 3, ... and appends them to the log in that order.

    Runs emit concurrently; the lock keeps seq order and log order the same even when an
    append awaits (Redis). The transcript is kept so the turn row can store it at the end.
    """

    turn_id: str
    conversation_id: str
    log: TurnEventLog
    transcript: list[LoggedEvent] = field(default_factory=list)
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    """Each run's streaming task, by run id; cancelling one ends that run `cancelled`."""
    cancel_status: str | None = None
    """Set by cancel or shutdown: the status runs still streaming will end with."""
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def emit(self, event: TurnEvent) -> LoggedEvent:
        async with self._lock:
            logged = LoggedEvent(len(self.transcript) + 1, event.type, encode(event.payload()))
            self.transcript.append(logged)
            await self.log.append(self.turn_id, logged)
            return logged

    def transcript_text(self) -> str:
        """The events as lines `seq<TAB>type<TAB>json` (JSON escapes tabs and newlines)."""
        return "\n".join(f"{e.seq}\t{e.type}\t{e.data}" for e in self.transcript)


def parse_transcript(text: str) -> list[LoggedEvent]:
    """The events `LiveTurn.transcript_text` stored."""
    events = []
    for line in text.split("\n"):
        if line:
            seq, kind, data = line.split("\t", 2)
            events.append(LoggedEvent(int(seq), kind, data))
    return events

"""The turn event log: what a turn appends and what every SSE reader reads from.

The turn that owns a run is the only writer of its events; it numbers them itself (seq
1, 2, 3, ... per turn, no gaps) and encodes each payload to JSON once. Readers never
touch runs: a reader that goes away (a client disconnect cancelling the SSE generator)
cannot affect the turn. When a log no longer holds a turn (never did, expired, restarted
process), `read` answers None and the caller replays the turn from the database.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


class EventLogUnavailable(Exception):
    """The log cannot be reached (Redis down); readers end their stream with an error."""


class SeqRefused(Exception):
    """An append whose seq is not the next one the log expects for the turn.

    The writer lost its place: the log restarted empty, or someone else (a survivor
    ending a dead replica's turn) wrote the turn's end.
    """

    def __init__(self, turn_id: str, seq: int, expected: int) -> None:
        super().__init__(f"turn {turn_id}: seq {seq} appended, {expected} expected")
        self.turn_id, self.seq, self.expected = turn_id, seq, expected


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One event of a turn, as stored in the log and sent over SSE."""

    seq: int
    """Turn-scoped sequence number, from 1, strictly increasing, no gaps."""
    type: str
    """SSE event type: turn_started, run_started, delta, run_done, run_error, turn_done."""
    data: str
    """The JSON payload, encoded once by the writer."""


@dataclass(frozen=True, slots=True)
class LogRead:
    """What one `read` found."""

    events: list[LoggedEvent]
    """Events with seq > `after`, oldest first; empty when a wait timed out."""
    last_seq: int
    """The highest seq the log holds for the turn."""
    finished: bool
    """The turn has ended and `events` run up to its `turn_done`: nothing more will come
    (False when a read's `limit` left events for the next read)."""
    reset_after: int | None = None
    """Set when the turn's writer died with events it had numbered but not replicated:
    a client that saw a seq past this saw events nobody else has (it must restart)."""


class TurnEventLog(ABC):
    """Append, read after a seq, wait for more; bounded retention."""

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect or start background work; called once at application start."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and wake every waiting reader; called at shutdown."""

    @abstractmethod
    async def append(self, turn_id: str, event: LoggedEvent) -> None:
        """Append the next event of a live turn and wake its readers.

        Raises `SeqRefused` unless `event.seq` is one past the last appended.
        """

    @abstractmethod
    async def finish(self, turn_id: str) -> None:
        """Mark the turn ended (its `turn_done` is appended); retention starts counting."""

    @abstractmethod
    async def reopen(self, turn_id: str, events: list[LoggedEvent]) -> None:
        """The ended turn gets another run (a fusion, a regenerate): make it live again.

        `events` is its whole transcript so far; a log that no longer holds the turn takes
        them first, so the next append continues the turn's seq numbers.
        """

    @abstractmethod
    async def mark_reset(self, turn_id: str, after: int) -> None:
        """Record that seqs past `after` may have been seen as events the log does not hold
        (their writer died before replicating them); reads report it as `reset_after`."""

    @abstractmethod
    async def read(
        self, turn_id: str, after: int, *, wait: float, limit: int | None = None
    ) -> LogRead | None:
        """Events with seq > `after`, oldest first, at most `limit` of them.

        When none are available yet and the turn is live, waits up to `wait` seconds for
        more (`wait=0` never blocks) and returns no events if none came. Returns None when
        the log does not hold the turn (unknown, expired, or trimmed past `after`): the
        caller falls back to the database. A reader far behind reads with a `limit`, so
        what it holds while its client is slow is one bounded batch, not the whole turn.
        """

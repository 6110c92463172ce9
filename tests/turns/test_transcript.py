"""The stored transcript gives back exactly the events a turn emitted."""

from __future__ import annotations

import pytest

from chatwait.event_log import MemoryEventLog
from chatwait.turns.events import Delta, RunStarted, TurnDone
from chatwait.turns.live import LiveTurn
from chatwait.turns.transcript import parse_transcript


@pytest.mark.parametrize("text", ["plain", "tab\there", "new\nline", 'quote " and \\', "émoji 🎉"])
async def test_transcript_round_trip(text: str) -> None:
    live = LiveTurn("t", "c", MemoryEventLog())
    await live.emit(RunStarted("r"))
    await live.emit(Delta("r", 0, text))
    await live.emit(TurnDone("t", "done"))
    assert parse_transcript(live.transcript_text()) == live.transcript
    assert [e.seq for e in live.transcript] == [1, 2, 3]

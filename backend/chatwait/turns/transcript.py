"""A turn's events as the turn row stores them, and a turn's events from its rows.

A finished turn stores its exact transcript once, so a resume after the event log forgot
the turn replays the very events (and seq numbers) it would have had live.
"""

from __future__ import annotations

from chatwait.event_log import LoggedEvent
from chatwait.store import Turn
from chatwait.turns.events import (
    Delta,
    Reasoning,
    RunStarted,
    ToolCall,
    ToolResult,
    TurnDone,
    TurnEvent,
    TurnStarted,
    encode,
    terminal_event,
)
from chatwait.turns.records import RunRecord


def format_transcript(events: list[LoggedEvent]) -> str:
    """The events as lines `seq<TAB>type<TAB>json` (JSON escapes tabs and newlines)."""
    return "\n".join(f"{e.seq}\t{e.type}\t{e.data}" for e in events)


def parse_transcript(text: str) -> list[LoggedEvent]:
    """The events `format_transcript` wrote."""
    events = []
    for line in text.split("\n"):
        if line:
            seq, kind, data = line.split("\t", 2)
            events.append(LoggedEvent(int(seq), kind, data))
    return events


def replay_events(turn: Turn) -> list[LoggedEvent]:
    """The turn's events from the database: its stored transcript, else rebuilt from rows.

    A turn without a transcript (its process died) is rebuilt: each run's persisted
    reasoning as one `reasoning`, its finished tool calls, its text as one delta, its
    terminal event, then `turn_done`.
    """
    if turn.transcript:
        return parse_transcript(turn.transcript)
    runs = [RunRecord.from_row(run) for run in turn.runs]
    first = [r.ref() for r in runs if not r.added]
    events: list[TurnEvent] = [TurnStarted(turn.id, turn.conversation_id, first)]
    for run in runs:
        added = run.ref() if run.added else None
        fusion = run.fusion.model_dump(mode="json") if run.fusion else None
        events.append(RunStarted(run.run_id, added, run.retry_of, fusion))
        if run.reasoning:
            events.append(Reasoning(run.run_id, 0, run.reasoning))
        for call in run.tool_calls:
            events.append(ToolCall(run.run_id, call.call_id, call.name, call.arguments))
            output = call.output or ""
            events.append(ToolResult(run.run_id, call.call_id, output, call.is_error))
        if run.output:
            events.append(Delta(run.run_id, 0, run.output, run.slot))
        if run.status != "running":
            events.append(terminal_event(run))
    if turn.status != "running":
        events.append(TurnDone(turn.id, turn.status))
    return [LoggedEvent(i, e.type, encode(e.payload())) for i, e in enumerate(events, 1)]

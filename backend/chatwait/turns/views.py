"""Stored rows as clients see them, and a turn's events rebuilt from its rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chatwait.event_log import LoggedEvent
from chatwait.store.models import Conversation, Run, Turn
from chatwait.store.repo import RunResult
from chatwait.turns.events import (
    Delta,
    RunDone,
    RunError,
    RunStarted,
    TurnDone,
    TurnEvent,
    TurnStarted,
    encode,
)
from chatwait.turns.live import parse_transcript


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC (SQLite hands back naive datetimes that were stored as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def run_result(run: Run) -> RunResult:
    return RunResult(
        status=run.status,
        output=run.output,
        input_tokens=run.input_tokens,
        output_tokens=run.output_tokens,
        cost_usd=run.cost_usd,
        latency_ms=run.latency_ms,
        ttft_ms=run.ttft_ms,
        attempts=run.attempts,
        error_code=run.error_code,
        error_message=run.error_message,
        error_retryable=run.error_retryable,
    )


def run_view(run: Run) -> dict[str, Any]:
    from chatwait.turns.service import run_public

    return run_public(run.id, run.agent, run.provider, run.model, run_result(run))


def turn_view(turn: Turn) -> dict[str, Any]:
    """A turn with its runs: the body of `POST /chat/wait` and `GET /chat/turns/{id}`."""
    return {
        "turn_id": turn.id,
        "conversation_id": turn.conversation_id,
        "status": turn.status,
        "message": turn.message,
        "created_at": iso(turn.created_at),
        "runs": [run_view(run) for run in turn.runs],
    }


def conversation_summary(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "title": conversation.title,
        "created_at": iso(conversation.created_at),
        "updated_at": iso(conversation.updated_at),
        "metadata": conversation.meta or {},
    }


def conversation_view(conversation: Conversation) -> dict[str, Any]:
    return {
        **conversation_summary(conversation),
        "turns": [turn_view(turn) for turn in conversation.turns],
    }


def replay_events(turn: Turn) -> list[LoggedEvent]:
    """The turn's events from the database: its stored transcript, else rebuilt from rows.

    A finished turn stored its exact transcript, so a resume gets the very events (and
    seq numbers) it would have had live. A turn without one (its process died) is rebuilt:
    each run's persisted text as one delta, its terminal event, then `turn_done`.
    """
    if turn.transcript:
        return parse_transcript(turn.transcript)
    events: list[TurnEvent] = [
        TurnStarted(
            turn.id,
            turn.conversation_id,
            [
                {"run_id": r.id, "agent": r.agent, "provider": r.provider, "model": r.model}
                for r in turn.runs
            ],
        )
    ]
    for run in turn.runs:
        events.append(RunStarted(run.id))
        if run.output:
            events.append(Delta(run.id, 0, run.output))
        if run.status != "running":
            public = run_view(run)
            public.pop("output")
            events.append(RunDone(public) if run.status == "done" else RunError(public))
    if turn.status != "running":
        events.append(TurnDone(turn.id, turn.status))
    return [LoggedEvent(i, e.type, encode(e.payload())) for i, e in enumerate(events, 1)]

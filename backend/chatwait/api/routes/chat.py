"""Chat routes: start a turn and wait, start one and stream, resume, inspect, cancel."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, status
from sse_starlette import EventSourceResponse

from chatwait import conversations
from chatwait.api.deps import RuntimeDep
from chatwait.api.schemas import ERROR_RESPONSES, CancelResponse, ChatRequest, TurnPublic
from chatwait.api.sse import SEPARATOR, TurnEventStream, framed, unavailable
from chatwait.errors import ValidationFailed
from chatwait.event_log import EventLogUnavailable, LoggedEvent
from chatwait.runtime import Runtime
from chatwait.turns import TurnRequest

router = APIRouter(prefix="/chat", tags=["chat"])

MAX_SEQ = 2**31 - 1
_SEQ = re.compile(r"[0-9]{1,10}")
SSE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Turn events (see specs/sse.md)"},
    **ERROR_RESPONSES,
}


def _turn_request(body: ChatRequest) -> TurnRequest:
    return TurnRequest(
        message=body.message,
        conversation_id=str(body.conversation_id) if body.conversation_id else None,
        agents=body.agents,
        models=body.models,
    )


async def _stream(
    runtime: Runtime, opening: Awaitable[AsyncIterator[list[LoggedEvent]]], turn_id: str
) -> EventSourceResponse:
    """SSE of a reader; a log that cannot be read gives a stream ending in an `error` event."""
    try:
        events = await opening
    except EventLogUnavailable as exc:
        events = unavailable(exc)
    return TurnEventStream(
        framed(events),
        turn_id=turn_id,
        ping=runtime.settings.sse_ping_seconds,
        send_timeout=runtime.settings.sse_send_timeout_seconds or None,
        sep=SEPARATOR,
        headers={"X-Turn-Id": turn_id, "Cache-Control": "no-cache"},
        # On SIGTERM a live turn ends within the grace period: let its stream carry
        # `turn_done` instead of being cut when the server starts to exit.
        shutdown_grace_period=runtime.settings.shutdown_grace_seconds + 1,
    )


@router.post("/wait", response_model=TurnPublic, responses=ERROR_RESPONSES)
async def chat_wait(body: ChatRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Run a turn and answer once, with every run's final output and metadata."""
    live = await runtime.turns.start(_turn_request(body))
    await runtime.turns.wait(live)
    return await conversations.read_turn(runtime.db, live.turn_id)


@router.post("/streaming", response_class=EventSourceResponse, responses=SSE_RESPONSE)
async def chat_streaming(body: ChatRequest, runtime: RuntimeDep) -> EventSourceResponse:
    """Run a turn and stream its events; the turn goes on if the client leaves."""
    live = await runtime.turns.start(_turn_request(body))
    return await _stream(runtime, runtime.reader.open(live.turn_id, 0), live.turn_id)


def _resume_point(last_event_id: str | None, after: int | None) -> int:
    if last_event_id is None:
        return after or 0
    text = last_event_id.strip()
    if not _SEQ.fullmatch(text) or int(text) > MAX_SEQ:
        raise ValidationFailed(
            f"Last-Event-ID must be a whole number from 0 to {MAX_SEQ}, got {last_event_id[:40]!r}"
        )
    return int(text)


@router.get("/streaming/{turn_id}", response_class=EventSourceResponse, responses=SSE_RESPONSE)
async def chat_resume(
    turn_id: uuid.UUID,
    runtime: RuntimeDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None,
) -> EventSourceResponse:
    """Every event after `Last-Event-ID` (or `after`) once, then the live tail."""
    opening = runtime.reader.open(str(turn_id), _resume_point(last_event_id, after))
    return await _stream(runtime, opening, str(turn_id))


@router.get("/turns/{turn_id}", response_model=TurnPublic, responses=ERROR_RESPONSES)
async def get_turn(turn_id: uuid.UUID, runtime: RuntimeDep) -> dict[str, Any]:
    """A turn and its runs as stored now (status `running` while live)."""
    return await conversations.read_turn(runtime.db, str(turn_id))


@router.post(
    "/turns/{turn_id}/cancel",
    response_model=CancelResponse,
    status_code=status.HTTP_202_ACCEPTED,
    responses=ERROR_RESPONSES,
)
async def cancel_turn(turn_id: uuid.UUID, runtime: RuntimeDep) -> dict[str, str]:
    """Cancel a live turn: its unfinished runs end `cancelled`."""
    return {"turn_id": str(turn_id), "status": await runtime.turns.request_cancel(str(turn_id))}

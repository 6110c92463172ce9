"""Chat routes: start a turn and wait, start one and stream, resume, inspect, cancel."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response, status

from chatwait.api.deps import CurrentUser, RuntimeDep, StreamWatchDep
from chatwait.api.ratelimit import ratelimit_headers
from chatwait.api.schemas import (
    ERROR_RESPONSES,
    CancelResponse,
    ChatRequest,
    ErrorBody,
    TurnRecord,
)
from chatwait.api.sse import framed, unavailable
from chatwait.api.sse_response import StreamWatch, TurnEventStream
from chatwait.api.sse_schema import TURN_EVENT_STREAM
from chatwait.errors import ValidationFailed
from chatwait.event_log import EventLogUnavailable, LoggedEvent
from chatwait.runtime import Runtime
from chatwait.turns import StartedTurn, TurnRequest
from chatwait.turns.fusion import FuseRequest, FusionStarted, fuse_turn
from chatwait.turns.retry import RetryStarted, retry_run

router = APIRouter(prefix="/chat", tags=["chat"])

MAX_SEQ = 2**31 - 1
_SEQ = re.compile(r"[0-9]{1,10}")
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
"""1-255 visible ASCII characters (no spaces): what a client can put in a header as is."""
LIMIT_RESPONSE: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorBody,
        "description": "Over a limit (`rate_limited`, `quota_exceeded`): nothing was started. "
        "`Retry-After` says when to retry; `RateLimit-Policy` / `RateLimit` (IETF draft) "
        "give every limit's state, as successful starts do too.",
    }
}
START_RESPONSES = {**ERROR_RESPONSES, **LIMIT_RESPONSE}
SSE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/event-stream": {"schema": TURN_EVENT_STREAM}},
        "description": "Turn events (see specs/sse.md)",
    },
    **ERROR_RESPONSES,
}
START_SSE_RESPONSE = {**SSE_RESPONSE, **LIMIT_RESPONSE}


def _turn_request(body: ChatRequest) -> TurnRequest:
    return TurnRequest(
        message=body.message,
        conversation_id=str(body.conversation_id) if body.conversation_id else None,
        agents=body.agents,
        models=body.models,
        blind=body.blind,
    )


# async: a plain `def` dependency is run in a worker thread, a hand-off every turn start pays
async def _idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Names this start: the same key with the same body attaches to the "
            "turn it started (remembered at least IDEMPOTENCY_KEY_HOURS). 1-255 visible ASCII.",
        ),
    ] = None,
) -> str | None:
    if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ValidationFailed(
            "Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces or controls)"
        )
    return key


IdempotencyKey = Annotated[str | None, Depends(_idempotency_key)]
LastEventId = Annotated[str | None, Header(alias="Last-Event-ID")]


async def _limit_headers(runtime: Runtime, started: StartedTurn, user_id: str) -> dict[str, str]:
    """`RateLimit` after this start: the turn's own count, or (an attach counts nothing)
    the user's limits as they stand."""
    if runtime.limits is None:
        return {}
    live = started.live
    if live is not None and live.admission is not None and not started.attached:
        return ratelimit_headers(live.admission.states)
    return ratelimit_headers(await runtime.limits.states(user_id))


async def _stream(
    runtime: Runtime,
    watch: StreamWatch,
    opening: Awaitable[AsyncIterator[list[LoggedEvent]]],
    turn_id: str,
    headers: dict[str, str] | None = None,
) -> TurnEventStream:
    """SSE of a reader; a log that cannot be read gives a stream ending in an `error` event."""
    try:
        events = await opening
    except EventLogUnavailable as exc:
        events = unavailable(exc)
    return TurnEventStream(
        framed(events, retry_ms=runtime.settings.sse_retry_ms),
        turn_id=turn_id,
        watch=watch,
        open_streams=runtime.metrics.open_streams,
        headers={"X-Turn-Id": turn_id, "Cache-Control": "no-cache", **(headers or {})},
    )


@router.post("/wait", response_model=TurnRecord, responses=START_RESPONSES)
async def chat_wait(
    body: ChatRequest,
    runtime: RuntimeDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey,
    response: Response,
) -> TurnRecord:
    """Run a turn and answer once, with every run's final output and metadata.

    Over a limit: 429 `rate_limited` / `quota_exceeded` before anything is created."""
    started = await runtime.turns.start(
        _turn_request(body), user_id=user.user_id, idempotency_key=idempotency_key
    )
    response.headers.update(await _limit_headers(runtime, started, user.user_id))
    await runtime.turns.wait(started)
    return await runtime.reader.record(started.turn_id, user_id=user.user_id)


@router.post("/streaming", response_class=TurnEventStream, responses=START_SSE_RESPONSE)
async def chat_streaming(
    body: ChatRequest,
    runtime: RuntimeDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey,
    watch: StreamWatchDep,
    last_event_id: LastEventId = None,
) -> TurnEventStream:
    """Run a turn and stream its events; the turn goes on if the client leaves.

    With an `Idempotency-Key` an earlier request already used, this streams that turn
    instead: from the start, or after `Last-Event-ID` (counting nothing against limits).
    Over a limit: 429 JSON before any stream opens.
    """
    started = await runtime.turns.start(
        _turn_request(body), user_id=user.user_id, idempotency_key=idempotency_key
    )
    after = _resume_point(last_event_id, None) if started.attached else 0
    headers = await _limit_headers(runtime, started, user.user_id)
    opening = runtime.reader.open_started(started, after)
    return await _stream(runtime, watch, opening, started.turn_id, headers)


def _resume_point(last_event_id: str | None, after: int | None) -> int:
    if last_event_id is None:
        return after or 0
    text = last_event_id.strip()
    if not _SEQ.fullmatch(text) or int(text) > MAX_SEQ:
        raise ValidationFailed(
            f"Last-Event-ID must be a whole number from 0 to {MAX_SEQ}, got {last_event_id[:40]!r}"
        )
    return int(text)


@router.get("/streaming/{turn_id}", response_class=TurnEventStream, responses=SSE_RESPONSE)
async def chat_resume(
    turn_id: uuid.UUID,
    runtime: RuntimeDep,
    user: CurrentUser,
    watch: StreamWatchDep,
    last_event_id: LastEventId = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None,
) -> TurnEventStream:
    """Every event after `Last-Event-ID` (or `after`) once, then the live tail."""
    opening = runtime.reader.open(
        str(turn_id), _resume_point(last_event_id, after), user_id=user.user_id
    )
    return await _stream(runtime, watch, opening, str(turn_id))


@router.get("/turns/{turn_id}", response_model=TurnRecord, responses=ERROR_RESPONSES)
async def get_turn(turn_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser) -> TurnRecord:
    """A turn and its runs as stored now (status `running` while live)."""
    return await runtime.reader.record(str(turn_id), user_id=user.user_id)


@router.post(
    "/turns/{turn_id}/cancel",
    response_model=CancelResponse,
    status_code=status.HTTP_202_ACCEPTED,
    responses=ERROR_RESPONSES,
)
async def cancel_turn(turn_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser) -> dict[str, str]:
    """Cancel a live turn: its unfinished runs end `cancelled`."""
    status = await runtime.turns.cancel(str(turn_id), user_id=user.user_id)
    return {"turn_id": str(turn_id), "status": status}


@router.post(
    "/turns/{turn_id}/runs/{run_id}/retry",
    response_model=RetryStarted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=ERROR_RESPONSES,
)
async def retry(
    turn_id: uuid.UUID, run_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser
) -> RetryStarted:
    """Regenerate one run of an ended turn: a new run (`retry_of` the old) in the same turn.

    Answers once the run belongs to the turn (running again); its events follow on the
    turn's stream after `after`: `GET /chat/streaming/{turn_id}` with `Last-Event-ID: after`.
    """
    return await retry_run(runtime.turns, str(turn_id), str(run_id), user_id=user.user_id)


@router.post(
    "/turns/{turn_id}/fuse",
    response_model=FusionStarted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=ERROR_RESPONSES,
)
async def fuse(
    turn_id: uuid.UUID, body: FuseRequest, runtime: RuntimeDep, user: CurrentUser
) -> FusionStarted:
    """Fuse an ended turn's answers: a new run in the same turn whose input is the other
    runs' final outputs, shuffled and anonymised, under a strategy prompt.

    Answers once the run belongs to the turn (running again); its events follow on the
    turn's stream after `after`: `GET /chat/streaming/{turn_id}` with `Last-Event-ID: after`.
    In a blind turn the fused run takes the next slot and enters the vote.
    """
    return await fuse_turn(runtime.turns, str(turn_id), body, user_id=user.user_id)

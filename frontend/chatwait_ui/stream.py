"""Follow one streaming turn to its end, resuming dropped connections.

A turn outlives its HTTP connection on the backend, so a drop is not an error: the
follower reattaches with `GET /chat/streaming/{turn_id}` and `Last-Event-ID: <last seq>`
and the backend replays exactly what was missed. `TurnView.apply` drops anything seen
before (by seq, and by `(run_id, index)` for deltas), so even a server that replayed too
much could not double the text.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, SSEError

from .api import ApiClient, ApiError
from .turn_view import TurnEvent, TurnView

__all__ = ["Backoff", "follow_to_end", "follow_turn", "parse_event"]

logger = logging.getLogger(__name__)

Backoff = Callable[[int], Awaitable[None]]

_MAX_STREAMS = 27
"""Streams one turn can have: its first, then one per added run (26 slots at most)."""


async def _sleep_backoff(attempt: int) -> None:
    """Exponential backoff between reconnects: 0.2 s, 0.4 s, ... capped at 3 s."""
    await asyncio.sleep(min(0.2 * 2 ** (attempt - 1), 3.0))


def parse_event(sse: ServerSentEvent) -> TurnEvent | None:
    """SSE frame → `TurnEvent`; None for frames that are not JSON objects."""
    try:
        data = json.loads(sse.data) if sse.data else {}
    except json.JSONDecodeError:
        logger.warning("dropping SSE %s event with non-JSON data", sse.event)
        return None
    if not isinstance(data, dict):
        return None
    seq = int(sse.id) if sse.id and sse.id.isdigit() else None
    return TurnEvent(seq=seq, type=sse.event, data=data)


async def follow_turn(
    api: ApiClient,
    view: TurnView,
    *,
    body: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
    max_reconnects: int = 8,
    backoff: Backoff = _sleep_backoff,
) -> AsyncIterator[TurnEvent]:
    """Yield each event that changed `view`, until `turn_done`.

    With `body` the turn is started (`POST /chat/streaming`, named by `idempotency_key`);
    without it the follower attaches to `view.turn_id` after `view.last_seq` (used after
    a stop, or to resume). A connection lost before the turn id is known is retried with
    the same key, which attaches to the turn the lost request started (without a key it
    raises). Raises `ApiError` when the backend refuses the turn, or after
    `max_reconnects` fruitless reconnects.
    """
    failures = 0
    while True:
        progressed = False
        starting = body is not None and view.turn_id is None
        try:
            if starting:
                stream = api.open_stream(
                    body=body, idempotency_key=idempotency_key, after=view.last_seq
                )
            else:
                stream = api.open_stream(turn_id=view.turn_id, after=view.last_seq)
            # aclosing: leaving early (turn_done) closes the SSE reader here, in this task,
            # instead of leaving it for the garbage collector to finalize.
            async with stream as source, aclosing(source.aiter_sse()) as frames:
                async for sse in frames:
                    event = parse_event(sse)
                    if event is None or not view.apply(event):
                        continue
                    progressed = True
                    yield event
                    if event.type == "turn_done":
                        return
        except ApiError as exc:
            if exc.code != "stream_reset" or view.last_seq == 0:
                raise
            logger.info("turn %s was renumbered by the backend; reading it again", view.turn_id)
            view.restart()
            progressed = True
        except (httpx.TransportError, SSEError) as exc:
            logger.info("turn %s stream dropped after seq %s: %r", view.turn_id, view.last_seq, exc)
            if view.turn_id is None and not (starting and idempotency_key):
                raise ApiError(
                    "unreachable", f"No stream from {api.base_url}: {exc}", retryable=True
                ) from exc
        if view.turn_id is None and not (starting and idempotency_key):
            raise ApiError("stream_lost", "The stream closed before the turn started.")
        failures = 0 if progressed else failures + 1
        if failures > max_reconnects:
            raise ApiError(
                "stream_lost",
                f"Lost the stream of turn {view.turn_id} after seq {view.last_seq}.",
                retryable=True,
            )
        await backoff(failures)


async def follow_to_end(
    api: ApiClient, view: TurnView, *, on_event: Callable[[], None] = lambda: None
) -> None:
    """Follow `view`'s turn until it has ended for good, then show it as stored.

    A stream ends at a `turn_done`; a run added afterwards (a regenerate, a fusion) is
    read as the next stream, after that `turn_done`. So a turn whose stored status is
    still running after one stream is followed again. `on_event`: after each event that
    changed the view.
    """
    for _ in range(_MAX_STREAMS):
        async for _event in follow_turn(api, view):
            on_event()
        view.apply_turn(await api.turn(str(view.turn_id)))
        if view.finished:
            return

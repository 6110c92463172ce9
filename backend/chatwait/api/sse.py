"""SSE framing of turn events: `id: <seq>`, `event: <type>`, one `data:` line of JSON.

Framing is sse-starlette's `ServerSentEvent` (newline-safe `id`, `event` and `data`);
each event is framed once into bytes and sse-starlette sends bytes as they are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sse_starlette import ServerSentEvent

from chatwait.errors import ChatWaitError
from chatwait.streams import EventLogUnavailable, LoggedEvent
from chatwait.turns.events import encode

SEPARATOR = "\n"


def frame(event: LoggedEvent) -> bytes:
    """One turn event as SSE bytes."""
    return ServerSentEvent(
        data=event.data, event=event.type, id=str(event.seq), sep=SEPARATOR
    ).encode()


def error_frame(error: ChatWaitError) -> bytes:
    """An `error` event without an id: the stream could not go on (not a turn event)."""
    return ServerSentEvent(
        data=encode({"error": error.to_dict()}), event="error", sep=SEPARATOR
    ).encode()


async def framed(events: AsyncIterator[LoggedEvent]) -> AsyncIterator[bytes]:
    """Frame a reader's events; end with an `error` event if the log becomes unreachable."""
    try:
        async for event in events:
            yield frame(event)
    except EventLogUnavailable:
        yield error_frame(
            ChatWaitError(
                "the event log is unavailable; resume later with Last-Event-ID",
                code="event_log_unavailable",
                retryable=True,
            )
        )

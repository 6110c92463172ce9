"""SSE of turn events: `id: <seq>`, `event: <type>`, one `data:` line of JSON.

Framing is sse-starlette's `ServerSentEvent` (newline-safe `id`, `event` and `data`);
each event is framed once into bytes, and `sse_response.TurnEventStream` sends them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sse_starlette import ServerSentEvent

from chatwait.errors import ChatWaitError
from chatwait.event_log import EventLogUnavailable, LoggedEvent
from chatwait.turns.events import encode

SEPARATOR = "\n"


def frame(event: LoggedEvent) -> bytes:
    """One turn event as SSE bytes (a hand-written fast path measured no gain: see
    docs/benchmarks.md, so the maintained framing stays)."""
    return ServerSentEvent(
        data=event.data, event=event.type, id=str(event.seq), sep=SEPARATOR
    ).encode()


def error_frame(error: ChatWaitError) -> bytes:
    """An `error` event without an id: the stream could not go on (not a turn event)."""
    return ServerSentEvent(
        data=encode({"error": error.to_dict()}), event="error", sep=SEPARATOR
    ).encode()


async def unavailable(error: EventLogUnavailable) -> AsyncIterator[list[LoggedEvent]]:
    """A stream that could not even open (Redis down): `framed` ends it with the error."""
    raise error
    yield  # type: ignore[unreachable]  # pragma: no cover - makes this an async generator


MAX_WRITE_BYTES = 64 * 1024
"""A batch is sent in writes of about this size: a reader catching up on a long turn
(tens of thousands of events ready at once) never frames it into one huge buffer."""


def retry_field(retry_ms: int) -> bytes:
    """`retry: N`: the reconnect delay a browser's `EventSource` uses (default ~3 s).

    It is sent as a line of the stream's first event, not as an event of its own:
    a block with no `data` is not an event to the standard, but some clients (httpx-sse)
    hand it over as an empty message.
    """
    return f"retry: {retry_ms}{SEPARATOR}".encode()


async def framed(
    batches: AsyncIterator[list[LoggedEvent]], *, retry_ms: int | None = None
) -> AsyncIterator[bytes]:
    """Frame a reader's batches, a write each (split past `MAX_WRITE_BYTES`); end with
    `error` if the log is lost. With `retry_ms` the first event carries a `retry:` field."""
    prefix = retry_field(retry_ms) if retry_ms is not None else b""
    try:
        async for batch in batches:
            if len(batch) == 1:
                data = frame(batch[0])
                if prefix:
                    data, prefix = prefix + data, b""
                yield data
                continue
            pending: list[bytes] = [prefix] if prefix else []
            size, prefix = len(prefix), b""
            for event in batch:
                pending.append(data := frame(event))
                size += len(data)
                if size >= MAX_WRITE_BYTES:
                    yield b"".join(pending)
                    pending, size = [], 0
            if pending:
                yield b"".join(pending)
    except EventLogUnavailable:
        yield prefix + error_frame(
            ChatWaitError(
                "the event log is unavailable; resume later with Last-Event-ID",
                code="event_log_unavailable",
                retryable=True,
            )
        )

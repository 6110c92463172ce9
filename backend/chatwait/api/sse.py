"""SSE of turn events: `id: <seq>`, `event: <type>`, one `data:` line of JSON.

Framing is sse-starlette's `ServerSentEvent` (newline-safe `id`, `event` and `data`);
each event is framed once into bytes and sse-starlette sends bytes as they are. Its
`send_timeout` closes the stream of a client that stopped reading (`TurnEventStream`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextvars import ContextVar

from prometheus_client import Gauge
from sse_starlette import EventSourceResponse, ServerSentEvent
from sse_starlette.sse import SendTimeoutError
from starlette.types import Receive, Scope, Send

from chatwait.errors import ChatWaitError
from chatwait.event_log import EventLogUnavailable, LoggedEvent
from chatwait.turns.events import encode

SEPARATOR = "\n"

logger = logging.getLogger("chatwait.api")

_cut_stream: ContextVar[bool] = ContextVar("chatwait_cut_stream", default=False)
"""Set in a request's task when `TurnEventStream` closed its stream on purpose."""


class TurnEventStream(EventSourceResponse):
    """An SSE response that closes the stream of a client that stopped reading.

    A send that waits longer than `send_timeout` (the client's socket is full and it takes
    nothing) ends the stream: the connection is closed without its final chunk, the client
    sees a cut stream and resumes with `Last-Event-ID`, exactly as after a network drop.
    """

    def __init__(
        self, *args: object, turn_id: str, open_streams: Gauge | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.turn_id = turn_id
        self.open_streams = open_streams
        """Counts this stream while it is served (`chatwait_open_streams`)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.open_streams is not None:
            self.open_streams.inc()
        try:
            await super().__call__(scope, receive, send)
        except SendTimeoutError:
            _cut_stream.set(True)
            logger.warning(
                "turn %s: closed the stream of a client that read nothing for %g s "
                "(it can resume with Last-Event-ID)",
                self.turn_id,
                self.send_timeout,
            )
        finally:
            if self.open_streams is not None:
                self.open_streams.dec()


class CutStreamNoticeFilter(logging.Filter):
    """Drops uvicorn's "returned without completing response" for a stream closed on
    purpose (`TurnEventStream` logged why); every other such error still shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _cut_stream.get()


def install_cut_stream_filter() -> None:
    """Put `CutStreamNoticeFilter` on uvicorn's error logger (once)."""
    uvicorn_errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, CutStreamNoticeFilter) for f in uvicorn_errors.filters):
        uvicorn_errors.addFilter(CutStreamNoticeFilter())


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
    async for chunk in _frames(batches):
        if prefix:
            chunk, prefix = prefix + chunk, b""
        yield chunk


async def _frames(batches: AsyncIterator[list[LoggedEvent]]) -> AsyncIterator[bytes]:
    try:
        async for batch in batches:
            if len(batch) == 1:
                yield frame(batch[0])
                continue
            pending: list[bytes] = []
            size = 0
            for event in batch:
                pending.append(data := frame(event))
                size += len(data)
                if size >= MAX_WRITE_BYTES:
                    yield b"".join(pending)
                    pending, size = [], 0
            if pending:
                yield b"".join(pending)
    except EventLogUnavailable:
        yield error_frame(
            ChatWaitError(
                "the event log is unavailable; resume later with Last-Event-ID",
                code="event_log_unavailable",
                retryable=True,
            )
        )

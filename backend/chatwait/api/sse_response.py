"""ChatWait's own SSE response: one helper task per stream, one watch per server.

sse-starlette's `EventSourceResponse` runs every stream in an anyio task group of four
tasks (data, ping, shutdown watcher, disconnect watcher) and sends every chunk inside a
cancel scope of its own: about 22 KB and two scheduler hops per stream, a cancel scope
per token (docs/benchmarks.md). Here a stream is the request's own task sending, plus
one task waiting for the client's disconnect. What needs a clock — keep-alive pings,
the send timeout, the shutdown deadline — is checked by one `StreamWatch` task for all
of the server's streams, a few times per ping interval, so a token costs no timer.

What a stream does (the same contract as before):
- a comment line (`: ping`) after `ping_seconds` without a write, so proxies keep it;
- a send that has waited `send_timeout_seconds` (the client's socket is full and it
  reads nothing) ends the stream without its final chunk: the client sees a cut stream
  and resumes with `Last-Event-ID`, exactly as after a network drop;
- after `StreamWatch.drain(seconds)` (SIGTERM), a stream still open when the time is up
  is cut the same way, so the server can exit;
- the client's disconnect stops the stream and closes its reader at once;
- HEAD gets the headers and an empty body, and no reader is read;
- under `SendAfterRouting` it is sent after the route and FastAPI's handler returned.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextvars import ContextVar
from typing import Literal

from prometheus_client import Gauge
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from chatwait.api.after_routing import deferral

logger = logging.getLogger("chatwait.api")

PING = b": ping\n\n"
"""A comment: EventSource clients and httpx-sse skip it; proxies see bytes flow."""

Cut = Literal["send_timeout", "shutdown", "disconnect"]

_cut_stream: ContextVar[bool] = ContextVar("chatwait_cut_stream", default=False)
"""Set in a request's task when its stream was closed on purpose (see the log filter)."""


class StreamWatch:
    """The server's open streams, and the one task that pings, times out and drains them.

    The task runs only while a stream is open, waking every `tick` seconds (a quarter of
    the shortest interval it enforces, at most 1 s), so a ping or a cut comes at most one
    tick late.
    """

    def __init__(self, *, ping_seconds: float, send_timeout_seconds: float | None) -> None:
        self.ping_seconds = ping_seconds
        self.send_timeout_seconds = send_timeout_seconds or None
        intervals = [ping_seconds, self.send_timeout_seconds or ping_seconds, 4.0]
        self.tick = min(intervals) / 4
        self._streams: set[TurnEventStream] = set()
        self._task: asyncio.Task[None] | None = None
        self._drain_at: float | None = None

    def __len__(self) -> int:
        return len(self._streams)

    def drain(self, seconds: float) -> None:
        """Cut every stream still open `seconds` from now (the server is stopping)."""
        at = asyncio.get_running_loop().time() + seconds
        self._drain_at = at if self._drain_at is None else min(self._drain_at, at)

    def _add(self, stream: TurnEventStream) -> None:
        self._streams.add(stream)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._watch())

    def _discard(self, stream: TurnEventStream) -> None:
        self._streams.discard(stream)

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._streams:
            await asyncio.sleep(self.tick)
            now = loop.time()
            draining = self._drain_at is not None and now >= self._drain_at
            for stream in list(self._streams):
                stream._check(now, draining=draining)


class TurnEventStream(Response):
    """`text/event-stream` of a reader's frames (bytes), watched by `watch`.

    The media type is set per instance, not on the class: FastAPI would otherwise
    document the route's JSON error responses as `text/event-stream` too.
    """

    def __init__(
        self,
        frames: AsyncIterator[bytes],
        *,
        turn_id: str,
        watch: StreamWatch,
        headers: Mapping[str, str] | None = None,
        open_streams: Gauge | None = None,
        status_code: int = 200,  # FastAPI's OpenAPI reads this default off the class
    ) -> None:
        self.frames = frames
        self.turn_id = turn_id
        self.watch = watch
        self.open_streams = open_streams
        self.status_code = status_code
        self.media_type = "text/event-stream"
        self.background = None
        self.init_headers(
            {
                "Cache-Control": "no-store",
                **(headers or {}),
                "Connection": "keep-alive",
                "X-Accel-Buffering": "no",  # nginx: pass each write on at once
            }
        )
        self._task: asyncio.Task[object] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._asgi_send: Send | None = None
        self._pinging: asyncio.Task[None] | None = None
        """The ping in flight, if any (held: the loop keeps only weak references)."""
        self._finished = False
        self._last_write = 0.0
        self._sends = 0
        self._blocked_since: float | None = None
        self._open = False
        self._cut: Cut | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        defer = deferral(scope)
        if defer is not None:  # sent once the route's frames are gone (`after_routing`)
            defer(self)
            return
        if scope["type"] == "http" and scope["method"] == "HEAD":
            await self._close_frames()
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        self._task = asyncio.current_task()
        self._asgi_send = send
        self._loop = loop = asyncio.get_running_loop()
        self._last_write = loop.time()
        self._open = True
        listener = loop.create_task(self._listen_for_disconnect(receive))
        self.watch._add(self)
        if self.open_streams is not None:
            self.open_streams.inc()
        try:
            await self._stream(send)
        except asyncio.CancelledError:
            if self._cut is None or self._task is None or self._task.uncancel() > 0:
                raise  # not (only) our own cut
            self._report_cut()  # our own cut: this request ends, the server goes on
        finally:
            self._open, self._finished = False, True
            listener.cancel()
            self.watch._discard(self)
            if self.open_streams is not None:
                self.open_streams.dec()
            await self._close_frames()

    async def _stream(self, send: Send) -> None:
        await self._send(send, self._start_message())
        async for chunk in self.frames:
            await self._send(send, {"type": "http.response.body", "body": chunk, "more_body": True})
        self._open = False
        await self._send(send, {"type": "http.response.body", "body": b"", "more_body": False})

    def _start_message(self) -> Message:
        """The response's start; its headers are let go here (not held while it streams)."""
        headers, self.raw_headers = self.raw_headers, []
        return {"type": "http.response.start", "status": self.status_code, "headers": headers}

    async def _send(self, send: Send, message: Message) -> None:
        """One ASGI send, marked so the watch sees one that blocks (the loop is the one
        `__call__` saw: `get_running_loop` costs a `getpid` per call on Python 3.11)."""
        assert self._loop is not None
        if self._sends == 0:
            self._blocked_since = self._loop.time()
        self._sends += 1
        try:
            await send(message)
        finally:
            self._sends -= 1
            if self._sends == 0:
                self._blocked_since = None
                self._last_write = self._loop.time()

    async def _listen_for_disconnect(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self._stop("disconnect")

    def _check(self, now: float, *, draining: bool) -> None:
        """Called by the watch every tick."""
        timeout = self.watch.send_timeout_seconds
        if self._blocked_since is not None:
            if timeout is not None and now - self._blocked_since >= timeout:
                self._stop("send_timeout")
        elif draining:
            self._stop("shutdown")
        elif now - self._last_write >= self.watch.ping_seconds and self._open:
            self._last_write = now
            assert self._loop is not None
            self._pinging = self._loop.create_task(self._ping())
            self._pinging.add_done_callback(self._pinged)

    async def _ping(self) -> None:
        if not self._open or self._asgi_send is None:
            return
        try:
            ping: Message = {"type": "http.response.body", "body": PING, "more_body": True}
            await self._send(self._asgi_send, ping)
        except Exception as exc:  # the stream ended meanwhile: nothing to keep alive
            logger.debug("turn %s: ping not sent (%s)", self.turn_id, type(exc).__name__)

    def _pinged(self, task: asyncio.Task[None]) -> None:
        """A sent ping's task is let go: an idle stream would hold it until its next ping."""
        if self._pinging is task:
            self._pinging = None

    def _stop(self, why: Cut) -> None:
        if self._cut is None and not self._finished and self._task is not None:
            self._cut = why
            self._task.cancel()

    def _report_cut(self) -> None:
        _cut_stream.set(True)
        if self._cut == "send_timeout":
            logger.warning(
                "turn %s: closed the stream of a client that read nothing for %g s "
                "(it can resume with Last-Event-ID)",
                self.turn_id,
                self.watch.send_timeout_seconds,
            )
        elif self._cut == "shutdown":
            logger.info(
                "turn %s: stream closed for shutdown (resume with Last-Event-ID)", self.turn_id
            )

    async def _close_frames(self) -> None:
        close = getattr(self.frames, "aclose", None)
        if close is not None:
            await close()


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

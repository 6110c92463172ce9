"""Responses that need the raw ASGI channel: paced streams, hangs and dropped connections.

Deliberate differences from Starlette's `StreamingResponse`:

- pacing runs against absolute deadlines (first token at arrival + TTFT, token i at
  that + i/rate), so a slow loop never drifts;
- a stream can end by *dropping* the connection: returning without the final body
  message makes uvicorn close the socket mid-body, which clients see as an incomplete
  chunked read (uvicorn logs one "returned without completing response" line, the
  honest record of a simulated fault);
- a client disconnect cancels the pacing at once, because uvicorn silently discards
  sends after a disconnect and the stream would otherwise tick on for its whole length.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from starlette.background import BackgroundTask
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from chatwait.sim._wire import DONE, MALFORMED_CHUNK, SSE_HEADERS, ChunkEncoder

Ending = Literal["finish", "malformed", "drop"]
_HANG_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class StreamPlan:
    """What one streamed completion sends, and when."""

    tokens: Iterable[str]
    start: float
    """Loop time of the first token (request arrival + TTFT)."""
    interval: float
    """Seconds between tokens (1 / tokens_per_second)."""
    ending: Ending = "finish"
    finish_reason: str = "stop"
    stamp: bool = False
    usage: tuple[int, int, int] | None = None
    """(prompt, completion, reasoning) tokens when the client asked for a usage chunk."""
    prelude: Sequence[bytes] = ()
    """Frames paced before the tokens: reasoning chunks, tool-call chunks."""


class Gauge:
    """How many requests of one kind are in flight (observable by tests and benchmarks)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        """Count one request for the duration of the block."""
        self.value += 1
        try:
            yield
        finally:
            self.value -= 1


class TokenStream(Response):
    """An SSE response that sends `plan` at its pace, then ends as the plan says."""

    media_type = "text/event-stream"

    def __init__(self, encoder: ChunkEncoder, plan: StreamPlan, gauge: Gauge) -> None:
        self.encoder = encoder
        self.plan = plan
        self.gauge = gauge
        self.status_code = 200
        self.background: BackgroundTask | None = None
        self.init_headers(SSE_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with self.gauge.held():
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await until_disconnect(receive, self._pump(send))

    async def _pump(self, send: Send) -> None:
        loop = asyncio.get_running_loop()
        plan, encoder = self.plan, self.encoder
        for i, frame in enumerate(plan.prelude):
            await _until(loop, plan.start + i * plan.interval)
            await send({"type": "http.response.body", "body": frame, "more_body": True})
        skip = len(plan.prelude)
        for i, text in enumerate(plan.tokens, skip):
            await _until(loop, plan.start + i * plan.interval)
            first = i == 0
            chunk = encoder.stamp(first=first) if plan.stamp else encoder.token(text, first=first)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if plan.ending == "drop":
            return
        await send({"type": "http.response.body", "body": self._tail(), "more_body": False})

    def _tail(self) -> bytes:
        plan = self.plan
        if plan.ending == "malformed":
            return MALFORMED_CHUNK
        parts = [self.encoder.finish(plan.finish_reason)]
        if plan.usage is not None:
            parts.append(self.encoder.usage(*plan.usage))
        parts.append(DONE)
        return b"".join(parts)


class TruncatedBody(Response):
    """A JSON response that declares its full length, sends half, then drops the socket."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        half = self.body[: len(self.body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})


async def _until(loop: asyncio.AbstractEventLoop, deadline: float) -> None:
    delay = deadline - loop.time()
    if delay > 0:
        await asyncio.sleep(delay)


async def until_disconnect(receive: Receive, work: Awaitable[None]) -> bool:
    """Run `work` until it ends or the client goes away; True when the client left."""
    worker = asyncio.ensure_future(work)
    listener = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait((worker, listener), return_when=asyncio.FIRST_COMPLETED)
    finally:
        worker.cancel()
        listener.cancel()
    if not worker.done() or worker.cancelled():
        return True
    error = worker.exception()
    if error is not None:
        raise error
    return False


async def hang(receive: Receive, seconds: float, stopping: Callable[[], bool]) -> bool:
    """Hold a request for `seconds`; True if the client left first.

    Also ends when `stopping()` turns true (the server is shutting down), so a hung
    request never holds uvicorn's graceful shutdown hostage.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    listener = asyncio.ensure_future(_disconnected(receive))
    try:
        while not listener.done():
            left = deadline - loop.time()
            if left <= 0 or stopping():
                return False
            await asyncio.wait((listener,), timeout=min(left, _HANG_POLL_SECONDS))
        return True
    finally:
        listener.cancel()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass

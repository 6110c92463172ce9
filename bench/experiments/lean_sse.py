"""A bench-only stand-in for sse-starlette's `EventSourceResponse`, to size what it costs.

`python -m bench.experiments.memory --variant lean-sse` serves ChatWait with this class patched into
`chatwait.api.routes.chat` (`bench.experiments.memory_server`): the request's own task streams the
body, one plain asyncio task waits for the client's `http.disconnect` and cancels it.
No anyio task group (sse-starlette runs four tasks per stream, each with a TaskHandle,
a CancelScope and an Event), no send lock, no exit-signal watcher, and no keep-alive
ping (a product version would send one when the reader's wait times out, no task
needed), no per-send timeout. Not a product implementation: it sizes what replacing
sse-starlette's machinery could save.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"connection", b"keep-alive"),
    (b"x-accel-buffering", b"no"),
]


class LeanEventSource(Response):
    """SSE bytes from an async iterator; two tasks per stream instead of five."""

    def __init__(
        self, content: AsyncIterator[bytes], *, headers: Mapping[str, str] | None = None, **_: Any
    ) -> None:
        self.body_iterator = content
        self.status_code = 200
        self.background = None
        extra = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()
        ]
        self.raw_headers = HEADERS + extra

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        streaming = asyncio.current_task()
        assert streaming is not None

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            streaming.cancel()

        watcher = asyncio.create_task(watch())
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async for chunk in self.body_iterator:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not watcher.done() or watcher.cancelled():
                raise
            streaming.uncancel()  # the client left: end quietly
        finally:
            watcher.cancel()
            aclose = getattr(self.body_iterator, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()


def patch() -> None:
    """Make ChatWait's streaming routes answer with `LeanEventSource`."""
    from chatwait.api.routes import chat

    name = "TurnEventStream" if hasattr(chat, "TurnEventStream") else "EventSourceResponse"
    setattr(chat, name, LeanEventSource)

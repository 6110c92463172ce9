"""Refuse request bodies over MAX_REQUEST_BYTES before they are read into memory.

A declared `Content-Length` over the limit is answered 413 at once, nothing read; a body
without one (chunked) is counted as it arrives and refused as soon as it passes the
limit. Before this a 50 MB body was read whole (peak memory +150 MB) only to fail the
message length check. FastAPI's own `max_body_size` is not used: it answers a declared
oversize length in plain text, replacing our JSON error.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatwait.api.errors import error_response


class BodyLimitMiddleware:
    """Pure ASGI, so streaming responses pass through untouched."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = error_response(413, "request_too_large", self._message(declared))
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self._message(f"more than {self.max_bytes}"))
            return message

        await self.app(scope, counting_receive, send)

    def _message(self, size: str) -> str:
        return f"the request body has {size} bytes; the limit is {self.max_bytes}"

"""Drop connections that send a request head or body too slowly (uvicorn protocol).

uvicorn times out only idle keep-alive connections: a client that opens a connection
and sends nothing, or a head a byte at a time, or 2 of 100 body bytes, held its socket
and task forever (200 half-sent requests were all still open after 32 s). This protocol
gives each request REQUEST_HEAD_TIMEOUT_SECONDS from its first byte (or the connection's
opening) to finish its head and REQUEST_BODY_TIMEOUT_SECONDS after that to finish its
body. A late body gets `408` (if no response has started) and the connection closes;
a late head is closed without an answer, as nginx does. A head over 64 KiB gets 431.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024


def _raw_error(status: bytes, code: str, message: str, *, retryable: bool) -> bytes:
    """A whole HTTP response with our JSON error body, written straight to the socket."""
    error = {"code": code, "message": message, "retryable": retryable}
    body = json.dumps({"error": error}).encode()
    head = b"HTTP/1.1 %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n" % (
        status,
        len(body),
    )
    return head + b"connection: close\r\n\r\n" + body


_408 = _raw_error(
    b"408 Request Timeout",
    "request_timeout",
    "the request did not arrive in time",
    retryable=True,
)
_431 = _raw_error(
    b"431 Request Header Fields Too Large",
    "headers_too_large",
    "the request head is over 64 KiB",
    retryable=False,
)


class DeadlineProtocol(HttpToolsProtocol):
    """httptools HTTP/1.1 with a deadline per request head and per request body."""

    head_timeout: float = 5.0
    body_timeout: float = 15.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: Literal["head", "body", "idle"] = "head"
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("head", self.head_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._phase != "head":
            super().data_received(data)
            return
        # One read may hold the head and the start of the body (or a head and a whole
        # request): it is the head still unfinished after parsing that is too large.
        self._head_bytes += len(data)
        super().data_received(data)
        unfinished = self._phase == "head" and not self.transport.is_closing()
        if unfinished and self._head_bytes > MAX_HEAD_BYTES:
            self._refuse(_431)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._phase == "idle":  # a keep-alive connection's next request
            self._arm("head", self.head_timeout)

    def on_headers_complete(self) -> None:
        upgrading = self.parser.should_upgrade() and self._should_upgrade()
        super().on_headers_complete()
        if upgrading:
            self._disarm()
        else:
            self._arm("body", self.body_timeout)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()
        self._phase, self._head_bytes = "idle", 0

    def _arm(self, phase: Literal["head", "body"], seconds: float) -> None:
        self._disarm()
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        answering = self.cycle is not None and self.cycle.response_started
        if self._phase == "body" and not answering:
            self._refuse(_408)
        else:
            self.transport.close()

    def _refuse(self, response: bytes) -> None:
        self._disarm()
        self.transport.write(response)
        self.transport.close()


def deadline_protocol(*, head_timeout: float, body_timeout: float) -> type[DeadlineProtocol]:
    """A `DeadlineProtocol` class with these timeouts, for `uvicorn.Config(http=...)`."""
    return type(
        "DeadlineProtocol",
        (DeadlineProtocol,),
        {"head_timeout": head_timeout, "body_timeout": body_timeout},
    )

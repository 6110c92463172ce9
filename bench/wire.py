"""A lean HTTP/1.1 client for the load generator: one loopback connection per request.

The load generator shares two cores with ChatWait and the offline provider, and at 1,000+
held streams a general client (httpx + httpx-sse) would cost the server under test CPU it
needs. This client reads only what ChatWait sends: a status line, headers, a chunked or
sized body, and SSE events ended by a blank line. Each event carries the wall-clock time
its bytes were read, so delivery delay is measured at arrival, not after parsing.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

HOST = "127.0.0.1"


class HttpError(Exception):
    """A response the benchmark did not expect (status, framing, early close)."""


@dataclass(slots=True)
class SseEvent:
    """One server-sent event and when its last bytes arrived (µs since the epoch)."""

    id: str | None
    event: str
    data: str
    arrived_us: int


def _request(method: str, path: str, port: int, body: bytes) -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Accept: text/event-stream, application/json\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


async def _open(
    port: int, method: str, path: str, payload: dict[str, Any] | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, int, dict[str, str]]:
    reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
    body = b"" if payload is None else json.dumps(payload).encode()
    writer.write(_request(method, path, port, body))
    status_line = await reader.readline()
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        writer.close()
        raise HttpError(f"bad status line {status_line[:80]!r}")
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return reader, writer, int(parts[1]), headers


async def _body_chunks(
    reader: asyncio.StreamReader, headers: dict[str, str]
) -> AsyncIterator[bytes]:
    """The body as it arrives: HTTP chunks, a sized body, or up to close."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size_line = await reader.readline()
            if not size_line:
                raise HttpError("connection closed inside a chunked body")
            size = int(size_line.split(b";", 1)[0], 16)
            if size == 0:
                await reader.readline()
                return
            chunk = await reader.readexactly(size + 2)
            yield chunk[:-2]
    elif "content-length" in headers:
        yield await reader.readexactly(int(headers["content-length"]))
    else:
        while chunk := await reader.read(65536):
            yield chunk


async def post_json(port: int, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
    """POST JSON, read the whole JSON answer: (status, decoded body)."""
    reader, writer, status, headers = await _open(port, "POST", path, payload)
    try:
        body = b"".join([chunk async for chunk in _body_chunks(reader, headers)])
    finally:
        writer.close()
    return status, json.loads(body) if body else None


def parse_event(block: bytes, arrived_us: int) -> SseEvent | None:
    """One SSE event from its lines; None for a comment-only block (a ping)."""
    event_id, kind, data = None, "message", []
    for raw in block.split(b"\n"):
        line = raw.rstrip(b"\r").decode()
        if not line or line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "event":
            kind = value
        elif name == "id":
            event_id = value
    if event_id is None and not data:
        return None
    return SseEvent(event_id, kind, "\n".join(data), arrived_us)


async def stream_sse(
    port: int, path: str, payload: dict[str, Any] | None, *, method: str = "POST"
) -> AsyncIterator[SseEvent]:
    """POST JSON (or GET, with `payload` None) and yield the SSE events of the answer
    until the server ends it."""
    reader, writer, status, headers = await _open(port, method, path, payload)
    try:
        if status != 200:
            body = b"".join([chunk async for chunk in _body_chunks(reader, headers)])
            raise HttpError(f"status {status}: {body[:200]!r}")
        pending = b""
        async for chunk in _body_chunks(reader, headers):
            arrived = time.time_ns() // 1000
            pending += chunk.replace(b"\r\n", b"\n")
            *blocks, pending = pending.split(b"\n\n")
            for block in blocks:
                event = parse_event(block, arrived)
                if event is not None:
                    yield event
    finally:
        writer.close()

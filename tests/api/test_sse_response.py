"""`TurnEventStream` driven as an ASGI app: pings, the send timeout, shutdown, disconnect.

The ASGI server side is played by queues: `send` records every message (or blocks, as a
full socket does), `receive` returns `http.disconnect` once the test says so. Every wait
is on something the response does, bounded by `BOUND`; the watch's own clock is what
decides when a ping or a cut is due.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry, Gauge
from starlette.types import Message

from chatwait.api.sse_response import PING, StreamWatch, TurnEventStream

BOUND = 10.0
"""Seconds any single wait may take before the test fails (none should come close)."""


class Client:
    """The ASGI server's side of one request."""

    def __init__(self, *, blocked: bool = False) -> None:
        self.messages: asyncio.Queue[Message] = asyncio.Queue()
        self.disconnected = asyncio.Event()
        self.unblocked = asyncio.Event()
        if not blocked:
            self.unblocked.set()

    async def send(self, message: Message) -> None:
        await self.unblocked.wait()  # a full socket: uvicorn's send waits for drain
        await self.messages.put(message)

    async def receive(self) -> Message:
        await self.disconnected.wait()
        return {"type": "http.disconnect"}

    async def next_body(self) -> bytes:
        message = await asyncio.wait_for(self.messages.get(), BOUND)
        assert message["type"] == "http.response.body"
        assert message["more_body"] is True
        return bytes(message["body"])


class Frames:
    """A reader's frames: what the test puts in, and whether it was closed."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.closed = asyncio.Event()

    async def __call__(self) -> AsyncIterator[bytes]:
        try:
            while (chunk := await self.queue.get()) is not None:
                yield chunk
        finally:
            self.closed.set()


def _scope(method: str = "GET") -> dict[str, object]:
    return {"type": "http", "method": method, "path": "/chat/streaming/t", "headers": []}


def _gauge() -> Gauge:
    return Gauge("open_streams", "test", registry=CollectorRegistry())


async def _start(
    watch: StreamWatch, client: Client, frames: Frames, gauge: Gauge | None = None
) -> asyncio.Task[None]:
    response = TurnEventStream(
        frames(), turn_id="t", watch=watch, headers={"X-Turn-Id": "t"}, open_streams=gauge
    )
    task = asyncio.create_task(response(_scope(), client.receive, client.send))
    if not client.unblocked.is_set():
        return task  # its first send blocks: nothing arrives
    start = await asyncio.wait_for(client.messages.get(), BOUND)
    assert start["type"] == "http.response.start"
    headers = dict(start["headers"])
    assert headers[b"content-type"].startswith(b"text/event-stream")
    assert headers[b"x-accel-buffering"] == b"no"
    assert headers[b"x-turn-id"] == b"t"
    return task


async def test_frames_go_out_in_order_and_the_stream_ends_with_its_reader() -> None:
    watch, client, frames, gauge = (
        StreamWatch(ping_seconds=15, send_timeout_seconds=60),
        Client(),
        Frames(),
        _gauge(),
    )
    task = await _start(watch, client, frames, gauge)
    assert gauge._value.get() == 1
    for chunk in (b"id: 1\nevent: a\ndata: {}\n\n", b"id: 2\nevent: b\ndata: {}\n\n"):
        await frames.queue.put(chunk)
        assert await client.next_body() == chunk
    await frames.queue.put(None)
    await asyncio.wait_for(task, BOUND)
    end = client.messages.get_nowait()
    assert end == {"type": "http.response.body", "body": b"", "more_body": False}
    assert gauge._value.get() == 0 and len(watch) == 0


async def test_an_idle_stream_gets_pings_and_a_busy_one_none() -> None:
    watch, client, frames = (
        StreamWatch(ping_seconds=0.2, send_timeout_seconds=60),
        Client(),
        Frames(),
    )
    task = await _start(watch, client, frames)
    assert await client.next_body() == PING  # nothing to send for 0.2 s
    assert await client.next_body() == PING  # and again
    await frames.queue.put(b"data: x\n\n")
    body = await client.next_body()
    while body == PING:  # a ping already due may come first
        body = await client.next_body()
    assert body == b"data: x\n\n"
    await frames.queue.put(None)
    await asyncio.wait_for(task, BOUND)


async def test_a_send_blocked_past_the_timeout_cuts_the_stream_and_closes_its_reader(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = StreamWatch(ping_seconds=15, send_timeout_seconds=0.3)
    client, frames, gauge = Client(), Frames(), _gauge()
    with caplog.at_level(logging.WARNING, logger="chatwait.api"):
        task = await _start(watch, client, frames, gauge)
        client.unblocked.clear()  # the client stops reading; its socket fills
        await frames.queue.put(b"data: x\n\n")
        await asyncio.wait_for(task, BOUND)  # returns: cut, no exception, no final chunk
    assert client.messages.empty()
    assert frames.closed.is_set()
    assert gauge._value.get() == 0 and len(watch) == 0
    assert "read nothing for 0.3 s" in caplog.text


async def test_a_disconnect_ends_the_stream_and_closes_its_reader_at_once() -> None:
    watch, client, frames = (
        StreamWatch(ping_seconds=15, send_timeout_seconds=60),
        Client(),
        Frames(),
    )
    task = await _start(watch, client, frames)
    await frames.queue.put(b"data: x\n\n")
    assert await client.next_body() == b"data: x\n\n"
    client.disconnected.set()
    await asyncio.wait_for(task, BOUND)
    assert frames.closed.is_set()
    assert client.messages.empty()


async def test_on_shutdown_a_stream_still_open_after_the_drain_time_is_cut() -> None:
    watch = StreamWatch(ping_seconds=15, send_timeout_seconds=60)
    ending, endless = (Client(), Frames()), (Client(), Frames())
    first = await _start(watch, *ending)
    second = await _start(watch, *endless)
    watch.drain(0.3)
    await ending[1].queue.put(b"data: last\n\n")  # a turn that ends within the grace
    await ending[1].queue.put(None)
    await asyncio.wait_for(first, BOUND)
    assert await ending[0].next_body() == b"data: last\n\n"
    assert ending[0].messages.get_nowait()["more_body"] is False
    await asyncio.wait_for(second, BOUND)  # the other is cut when the time is up
    assert endless[1].closed.is_set() and endless[0].messages.empty()
    assert len(watch) == 0


async def test_head_sends_the_headers_and_reads_no_frame() -> None:
    watch, client, frames = (
        StreamWatch(ping_seconds=15, send_timeout_seconds=60),
        Client(),
        Frames(),
    )
    await frames.queue.put(b"data: x\n\n")
    response = TurnEventStream(frames(), turn_id="t", watch=watch)
    await asyncio.wait_for(response(_scope("HEAD"), client.receive, client.send), BOUND)
    assert client.messages.get_nowait()["type"] == "http.response.start"
    assert client.messages.get_nowait() == {
        "type": "http.response.body",
        "body": b"",
        "more_body": False,
    }
    assert frames.queue.qsize() == 1 and len(watch) == 0


async def test_a_cancel_from_outside_is_not_swallowed() -> None:
    watch, client, frames = (
        StreamWatch(ping_seconds=15, send_timeout_seconds=60),
        Client(),
        Frames(),
    )
    task = await _start(watch, client, frames)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, BOUND)
    assert frames.closed.is_set() and len(watch) == 0

"""Half-sent requests are dropped: raw sockets against the real `chatwait` program.

The in-thread test servers run uvicorn's defaults; the head and body deadlines live in
the program's own server setup (`api/server.py`), so this starts `chatwait` itself, with
one-second deadlines. A socket read waits up to 30 s: a server that held the connection
would fail the test by that timeout, a server that dropped it answers or closes first.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.server import ServerState

from chatwait.api.slow_requests import deadline_protocol
from tests.support.databases import throwaway_database
from tests.support.processes import ChildServer, chatwait_server

READ_LIMIT = 30.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    directory: Path = tmp_path_factory.mktemp("slow")
    with (
        throwaway_database(directory) as database,
        chatwait_server(
            directory,
            database,
            REQUEST_HEAD_TIMEOUT_SECONDS="1",
            REQUEST_BODY_TIMEOUT_SECONDS="1",
        ) as running,
    ):
        yield running


def _connect(server: ChildServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=READ_LIMIT)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _head(content_length: int) -> bytes:
    return (
        b"POST /chat/wait HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % content_length
    )


def test_a_silent_connection_is_closed(server: ChildServer) -> None:
    with _connect(server) as sock:
        assert _read_all(sock) == b""


def test_a_half_sent_head_is_closed(server: ChildServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"POST /chat/wait HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        assert _read_all(sock) == b""


def test_many_half_sent_bodies_get_408_and_are_closed(server: ChildServer) -> None:
    sockets = [_connect(server) for _ in range(50)]
    try:
        for sock in sockets:
            sock.sendall(_head(100) + b'{"')
        answers = [_read_all(sock) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b'"code": "request_timeout"' in answer and b"connection: close" in answer
    assert httpx.get(server.base_url + "/healthz").status_code == 200


def test_an_oversized_head_gets_431(server: ChildServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 70_000)
        assert _read_all(sock).startswith(b"HTTP/1.1 431 ")


def _response(sock: socket.socket) -> bytes:
    """One whole response (head and Content-Length body) off a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_whole_requests_one_after_another_are_served(server: ChildServer) -> None:
    """A kept-alive connection's next request gets a deadline of its own, and is served."""
    body = b'{"message": "hello"}'
    with _connect(server) as sock:
        for _ in range(3):
            sock.sendall(_head(len(body)) + body)
            assert _response(sock).startswith(b"HTTP/1.1 200 ")


class _Transport(asyncio.Transport):
    """What the protocol writes, and whether it closed; no socket."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False
        self.answered = asyncio.Event()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)
        self.answered.set()

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )


async def test_a_body_arriving_in_the_heads_read_is_not_taken_for_a_large_head() -> None:
    """A fast client's first read holds the head and 100 KiB of body: that is a small head
    (the app answers), not a 431. Fed in one `data_received`, as the kernel may deliver it."""
    received: list[bytes] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            received.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    config = uvicorn.Config(app, lifespan="off", log_level="warning")
    protocol_class = deadline_protocol(head_timeout=5, body_timeout=5)
    protocol = protocol_class(config, ServerState(), {}, _loop=asyncio.get_running_loop())
    transport = _Transport()
    protocol.connection_made(transport)
    body = b"z" * (100 * 1024)
    protocol.data_received(_head(len(body)) + body)
    await asyncio.wait_for(transport.answered.wait(), READ_LIMIT)
    assert transport.written.startswith(b"HTTP/1.1 204 "), transport.written[:100]
    assert b"".join(received) == body
    protocol.connection_lost(None)

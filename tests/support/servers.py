"""Serve an ASGI app on a real loopback socket for tests (SSE and disconnects need one)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tests.support.eventually import eventually


def free_port() -> int:
    """A port the OS says is free on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(app: Any, *, port: int | None = None, timeout: float = 30.0) -> Iterator[str]:
    """Run `app` under uvicorn in a background thread; yield its base URL until exit.

    Startup is awaited on uvicorn's own `started` flag (observable state), and the
    server is shut down and joined on exit so no test leaks a listening socket.
    """
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()

    def started() -> bool:
        assert thread.is_alive(), f"server on port {port} exited"
        return server.started

    eventually(
        started, timeout=timeout, interval=0.01, message=f"server on port {port} did not start"
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)

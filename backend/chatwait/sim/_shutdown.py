"""Tell a held request that the uvicorn server around it is shutting down.

uvicorn waits for every open connection before it exits (forever, unless
`timeout_graceful_shutdown` is set) and gives in-flight requests no signal: it only
sets `Server.should_exit`. A `fault-hang` request would therefore block shutdown. The
server object is found by walking the await chains of the loop's tasks to a frame
whose `self` is a `uvicorn.Server` (its `serve()` coroutine). This works in the main
thread and in test threads alike, where signal-handler tricks (sse-starlette's) do
not. Other servers simply get `False`: the hang then ends on disconnect or timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

_MAX_DEPTH = 32


def shutdown_probe() -> Callable[[], bool]:
    """A cheap callable answering "is the serving uvicorn server exiting?"."""
    server = _find_uvicorn_server()
    if server is None:
        return lambda: False
    return lambda: bool(server.should_exit)


def _find_uvicorn_server() -> Any | None:
    try:
        from uvicorn import Server
    except ImportError:  # pragma: no cover - uvicorn is a dependency
        return None
    for task in asyncio.all_tasks():
        coro: Any = task.get_coro()
        for _ in range(_MAX_DEPTH):
            frame = getattr(coro, "cr_frame", None)
            if frame is None:
                break
            owner = frame.f_locals.get("self")
            if isinstance(owner, Server):
                return owner
            coro = getattr(coro, "cr_await", None)
    return None

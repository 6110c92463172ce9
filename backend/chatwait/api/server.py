"""Serve the app under uvicorn, with turns told about SIGTERM at once.

uvicorn's order on SIGTERM is: stop accepting, wait for open connections (up to
`timeout_graceful_shutdown`), cancel what is left, then run the lifespan shutdown, which
is where turns got their grace period. A `/chat/wait` request is an open connection
waiting on its turn, so SIGTERM cancelled it with a 500 after the drain timeout, and runs
ended only after that plus the grace period. Here the signal starts the turns' grace
period at once: runs finish or end `interrupted` within SHUTDOWN_GRACE_SECONDS, waiting
requests get their answer, streams their `turn_done`, and the drain that follows is short.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import FrameType

import uvicorn

from chatwait.api.app import create_app
from chatwait.api.slow_requests import deadline_protocol
from chatwait.config import Settings


class _Server(uvicorn.Server):
    """uvicorn that also runs `on_exit` on the loop as soon as an exit signal arrives."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], Awaitable[None]]) -> None:
        super().__init__(config)
        self._on_exit = on_exit
        self._draining: asyncio.Future[None] | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.call_soon_threadsafe(self._drain)  # signal handlers must not touch the loop

    def _drain(self) -> None:
        if self._draining is None:
            self._draining = asyncio.ensure_future(self._on_exit())


def serve(settings: Settings) -> None:
    """Serve ChatWait until SIGINT or SIGTERM (blocking)."""
    app = create_app(settings)

    async def end_turns() -> None:
        # A live turn ends within the grace period and its stream carries `turn_done`;
        # a stream still open a second later (a reader of another replica's turn) is cut.
        app.state.streams.drain(settings.shutdown_grace_seconds + 1)
        runtime = getattr(app.state, "runtime", None)
        if runtime is not None:
            await runtime.turns.shutdown(settings.shutdown_grace_seconds)

    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds) + 5,
        access_log=False,
        http=deadline_protocol(
            head_timeout=settings.request_head_timeout_seconds,
            body_timeout=settings.request_body_timeout_seconds,
        ),
        timeout_keep_alive=5,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
    )
    _Server(config, end_turns).run()

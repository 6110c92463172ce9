"""Batch many state changes into few renders.

Chainlit re-sends a custom element's whole props on every `update()` and the browser
re-renders the element each time, so rendering per token would flood both with several
fast streams. `Coalescer` renders at most once per `interval` (50 ms by default): marks
made while a render or a pause is in progress fold into the next render, and `close()`
always renders the final state (also when closing interrupted a render half-way).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import TracebackType

__all__ = ["Coalescer"]

Render = Callable[[], Awaitable[None]]
Pause = Callable[[float], Awaitable[None]]


class Coalescer:
    """Run `render` after `mark()`, no more often than every `interval` seconds.

    `pause` is injectable so tests drive time explicitly instead of sleeping.
    """

    def __init__(self, render: Render, *, interval: float = 0.05, pause: Pause = asyncio.sleep):
        self._render = render
        self._interval = interval
        self._pause = pause
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.renders = 0

    def mark(self) -> None:
        """Note that the state changed; cheap, call it per event."""
        self._dirty.set()

    async def __aenter__(self) -> Coalescer:
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close(final=exc_type is None)

    async def close(self, *, final: bool = True) -> None:
        """Stop the loop; with `final`, render the final state once more."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if final:
            await self._flush()

    async def _flush(self) -> None:
        self._dirty.clear()
        self.renders += 1
        await self._render()

    async def _loop(self) -> None:
        while True:
            await self._dirty.wait()
            await self._flush()
            await self._pause(self._interval)

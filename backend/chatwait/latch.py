"""`Latch`: a one-shot `asyncio.Event` that holds memory only while someone waits.

A held stream keeps several of these for its whole life (a turn opened, a turn finished,
a run's request sent, the memory log's "something was appended"), and most are never
waited on. Each `asyncio.Event` carries a deque of about 0.6 KB from the moment it is
made (docs/benchmarks.md, "Memory per held stream"); a `Latch` is two slots until a
waiter arrives, then one future per waiter.
"""

from __future__ import annotations

import asyncio


class Latch:
    """Set once and never cleared; `wait()` returns once it is set.

    `set`, `is_set` and `wait` behave as `asyncio.Event`'s. A waiter that is cancelled
    (a timeout around `wait()`) leaves nothing behind.
    """

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def __repr__(self) -> str:
        waiting = len(self._waiters) if self._waiters else 0
        return f"<Latch {'set' if self._set else 'unset'}, {waiting} waiting>"

    def is_set(self) -> bool:
        return self._set

    def waited_on(self) -> bool:
        """Whether anyone is waiting now (a set would wake someone)."""
        return self._waiters is not None

    def set(self) -> None:
        """Wake every waiter; later waits return at once."""
        if self._set:
            return
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self) -> None:
        """Until `set` was called (at once if it already was)."""
        if self._set:
            return
        waiter = self._waiter(asyncio.get_running_loop())
        try:
            await waiter
        finally:
            self._forget(waiter)

    async def wait_for(self, seconds: float) -> bool:
        """Until `set` (True) or `seconds` went by (False).

        One timer beside the waiter's future: no `asyncio.timeout` scope (an object, a
        dict and a handle held for the whole wait) around `wait()`.
        """
        if self._set:
            return True
        loop = asyncio.get_running_loop()
        waiter = self._waiter(loop)
        timer = loop.call_later(seconds, _expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._forget(waiter)
        return self._set

    def _waiter(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        waiter: asyncio.Future[None] = loop.create_future()
        if self._waiters is None:
            self._waiters = [waiter]
        else:
            self._waiters.append(waiter)
        return waiter

    def _forget(self, waiter: asyncio.Future[None]) -> None:
        if self._waiters is not None:  # not set: this waiter was cancelled or timed out
            self._waiters.remove(waiter)
            if not self._waiters:
                self._waiters = None


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)

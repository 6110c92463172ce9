"""Polling observable state until it holds: the one bounded wait the tests use.

`eventually(check, timeout=...)` calls `check` until it returns something truthy and
returns that value; after `timeout` seconds it fails with an `AssertionError` naming the
last value seen. `check` may raise to fail at once (a process that exited), and
exceptions listed in `ignoring` count as "not yet" (a server not listening yet).
`eventually_async` is the same on the running event loop; its `check` may be a
coroutine function.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

Message = str | Callable[[], str]


def eventually(
    check: Callable[[], T],
    *,
    timeout: float,
    interval: float = 0.05,
    message: Message = "condition not reached",
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """The first truthy value of `check()`, polled every `interval` s for `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = _attempt(check, ignoring)
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(_failure(message, timeout, value))
        time.sleep(interval)


async def eventually_async(
    check: Callable[[], T | Awaitable[T]],
    *,
    timeout: float,  # noqa: ASYNC109 - a polling bound, the failure names the last value
    interval: float = 0.02,
    message: Message = "condition not reached",
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """`eventually` without blocking the loop: sleeps with `asyncio.sleep` between checks."""
    deadline = time.monotonic() + timeout
    while True:
        value: T | None
        try:
            result = check()
            value = await result if inspect.isawaitable(result) else result
        except ignoring:
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(_failure(message, timeout, value))
        await asyncio.sleep(interval)


def _attempt(check: Callable[[], T], ignoring: tuple[type[BaseException], ...]) -> T | None:
    try:
        return check()
    except ignoring:
        return None


def _failure(message: Message, timeout: float, last: object) -> str:
    text = message() if callable(message) else message
    return f"{text} (after {timeout:g}s; last value: {last!r})"

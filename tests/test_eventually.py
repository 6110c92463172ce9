"""The one bounded wait of the tests: what it returns, how it fails."""

from __future__ import annotations

import itertools

import pytest

from tests.support.eventually import eventually, eventually_async


def test_returns_the_first_truthy_value() -> None:
    values = iter([0, None, "", "ready"])
    assert eventually(lambda: next(values), timeout=5, interval=0) == "ready"


def test_fails_with_the_message_and_the_last_value() -> None:
    with pytest.raises(AssertionError, match=r"still running \(after 0s; last value: \[\]\)"):
        eventually(list, timeout=0, message="still running")


def test_a_message_function_is_called_at_failure() -> None:
    with pytest.raises(AssertionError, match="log: boom"):
        eventually(lambda: False, timeout=0, message=lambda: "log: boom")


def test_ignored_exceptions_are_not_yet_and_others_fail_at_once() -> None:
    calls = itertools.count()

    def flaky() -> bool:
        if next(calls) < 2:
            raise ConnectionError("not listening yet")
        return True

    assert eventually(flaky, timeout=5, interval=0, ignoring=(ConnectionError,)) is True
    with pytest.raises(ConnectionError):
        eventually(flaky_forever, timeout=5, interval=0)


def flaky_forever() -> bool:
    raise ConnectionError("down")


async def test_the_async_form_awaits_a_coroutine_check() -> None:
    values = iter([False, 3])

    async def check() -> int | bool:
        return next(values)

    assert await eventually_async(check, timeout=5, interval=0) == 3
    with pytest.raises(AssertionError, match="never"):
        await eventually_async(lambda: 0, timeout=0, message="never")

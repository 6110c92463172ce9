"""`Latch` behaves as a one-shot `asyncio.Event` and keeps no cancelled waiter."""

from __future__ import annotations

import asyncio

from chatwait.latch import Latch


async def test_set_wakes_every_waiter_and_later_waits_return_at_once() -> None:
    latch = Latch()
    woken: list[int] = []

    async def waiter(index: int) -> None:
        await latch.wait()
        woken.append(index)

    assert not latch.waited_on()
    tasks = [asyncio.create_task(waiter(i)) for i in range(3)]
    await asyncio.sleep(0)  # every waiter is parked on the latch
    assert not latch.is_set() and woken == []
    assert latch.waited_on()
    latch.set()
    await asyncio.gather(*tasks)
    assert sorted(woken) == [0, 1, 2] and latch.is_set()
    await asyncio.wait_for(latch.wait(), 1)  # already set: no waiting
    latch.set()  # a second set changes nothing
    assert latch.is_set()


async def test_a_timed_out_waiter_leaves_nothing_behind_and_others_still_wake() -> None:
    latch = Latch()
    staying = asyncio.create_task(latch.wait())
    for _ in range(5):
        try:
            async with asyncio.timeout(0):
                await latch.wait()
        except TimeoutError:
            pass
    await asyncio.sleep(0)
    assert repr(latch) == "<Latch unset, 1 waiting>", "only the waiter still waiting is held"
    staying.cancel()
    await asyncio.gather(staying, return_exceptions=True)
    assert repr(latch) == "<Latch unset, 0 waiting>" and not latch.waited_on()
    again = asyncio.create_task(latch.wait())
    await asyncio.sleep(0)
    latch.set()
    await asyncio.wait_for(again, 1)


async def test_a_waiter_cancelled_after_the_set_does_not_fail_the_set() -> None:
    latch = Latch()
    waiting = asyncio.create_task(latch.wait())
    await asyncio.sleep(0)
    latch.set()
    waiting.cancel()  # the set came first; the cancel wins the race to the task
    await asyncio.gather(waiting, return_exceptions=True)
    assert latch.is_set() and repr(latch) == "<Latch set, 0 waiting>"


async def test_wait_for_says_whether_it_was_set_and_keeps_no_waiter_after_either() -> None:
    latch = Latch()
    assert await latch.wait_for(0.01) is False  # nobody set it: the timer ended the wait
    assert repr(latch) == "<Latch unset, 0 waiting>"
    waiting = asyncio.create_task(latch.wait_for(30))
    await asyncio.sleep(0)
    assert latch.waited_on()
    latch.set()
    assert await asyncio.wait_for(waiting, 1) is True  # woken by the set, not the timer
    assert await latch.wait_for(30) is True  # already set: at once


async def test_a_cancelled_timed_wait_leaves_no_waiter_behind() -> None:
    latch = Latch()
    waiting = asyncio.create_task(latch.wait_for(30))
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert waiting.cancelled() and not latch.waited_on()
    latch.set()
    assert latch.is_set() and await latch.wait_for(30) is True

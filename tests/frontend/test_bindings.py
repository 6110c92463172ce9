"""A new thread's placeholder id is swapped for the conversation id, in either order."""

from __future__ import annotations

import asyncio

from chatwait_ui.bindings import ThreadBindings


async def test_a_waiter_gets_the_conversation_once_it_is_known() -> None:
    bindings = ThreadBindings()
    bindings.expect("placeholder")
    waiter = asyncio.create_task(bindings.wait("placeholder", 5))
    await asyncio.sleep(0)
    assert not waiter.done()
    bindings.resolve("placeholder", "conv-1")
    assert await waiter == "conv-1"
    assert not bindings.is_pending("placeholder")


async def test_resolving_before_anyone_waits_is_remembered() -> None:
    bindings = ThreadBindings()
    bindings.expect("placeholder")
    bindings.resolve("placeholder", "conv-2")
    assert await bindings.wait("placeholder", 5) == "conv-2"


async def test_unknown_threads_and_timeouts_give_none() -> None:
    bindings = ThreadBindings()
    assert not bindings.is_pending("conv-3")
    assert await bindings.wait("conv-3", 5) is None
    bindings.expect("slow")
    assert await bindings.wait("slow", 0) is None
    assert bindings.is_pending("slow"), "a first message that failed may still bind later"


async def test_old_placeholders_are_evicted() -> None:
    bindings = ThreadBindings(keep=2)
    for name in ("a", "b", "c"):
        bindings.expect(name)
    assert not bindings.is_pending("a") and bindings.is_pending("c")

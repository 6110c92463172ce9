"""Batched rendering: many fast updates become few renders, and the last state is shown.

Time is driven by the test: the coalescer's pause is an event the test sets, so nothing
here sleeps.
"""

from __future__ import annotations

import asyncio

from chatwait_ui.coalesce import Coalescer


class Clock:
    """A pause the test releases by hand; records how long each pause asked for."""

    def __init__(self) -> None:
        self.paused = asyncio.Event()
        self._release = asyncio.Event()
        self.requested: list[float] = []

    async def pause(self, seconds: float) -> None:
        self.requested.append(seconds)
        self.paused.set()
        await self._release.wait()
        self._release.clear()

    async def tick(self) -> None:
        """End the current pause; return once the coalescer rendered and paused again."""
        self.paused.clear()
        self._release.set()
        await asyncio.wait_for(self.paused.wait(), 5)


async def test_marks_during_a_pause_fold_into_one_render() -> None:
    state: list[int] = []
    shown: list[list[int]] = []

    async def render() -> None:
        shown.append(list(state))

    clock = Clock()
    async with Coalescer(render, interval=0.05, pause=clock.pause) as coalescer:
        state.append(0)
        coalescer.mark()
        await asyncio.wait_for(clock.paused.wait(), 5)
        assert shown == [[0]], "the first change renders at once"
        for token in range(1, 101):  # a burst of tokens while the coalescer pauses
            state.append(token)
            coalescer.mark()
        assert len(shown) == 1
        await clock.tick()
        assert shown[-1] == list(range(101)) and len(shown) == 2
    assert clock.requested and set(clock.requested) == {0.05}
    assert shown[-1] == list(range(101))


async def test_close_always_renders_the_final_state() -> None:
    state = {"text": ""}
    shown: list[str] = []

    async def render() -> None:
        shown.append(state["text"])

    clock = Clock()
    coalescer = Coalescer(render, pause=clock.pause)
    async with coalescer:
        state["text"] = "a"
        coalescer.mark()
        await asyncio.wait_for(clock.paused.wait(), 5)
        state["text"] = "ab"
        coalescer.mark()  # still pausing when the turn ends
    assert shown == ["a", "ab"]
    assert coalescer.renders == 2


async def test_a_cancelled_turn_does_not_render_on_exit() -> None:
    shown: list[int] = []

    async def render() -> None:
        shown.append(1)

    clock = Clock()
    coalescer = Coalescer(render, pause=clock.pause)
    await coalescer.__aenter__()
    await coalescer.close(final=False)
    assert shown == []

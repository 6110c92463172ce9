"""A run cut short while a chunk is on its way out: exact text, and the provider let go.

Found by the fault matrix under load. (1) The run appended a chunk to its text, then
waited for the turn's event lock to emit it; the run timeout cancelled it during that
wait, so the stored output had one chunk more than the stream. A chunk now joins the
run's text only as it is numbered into the turn, so a cancel during that wait leaves it
out of both. (2) A cancel landing
there, outside the Agents SDK's own queue wait, left the SDK's run task streaming from
the provider after the run had ended (found as an upstream stream still open long
after). Here the emit of chunk 3 is held, deterministically, until the timeout cuts the
run there.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chatwait.event_log import LoggedEvent, MemoryEventLog
from chatwait.providers import AgentSpec, Provider, ResolvedAgent
from chatwait.sim import SimConfig, create_sim_app
from chatwait.turns import LiveRun, LiveTurn, RunRecord
from chatwait.turns.events import Delta, TurnEvent
from chatwait.turns.run import RunOptions, complete_run
from tests.support.eventually import eventually_async
from tests.support.servers import serve_in_thread

HELD = 3
ENDLESS = "fault-drop-after-1000000"
"""Streams for minutes: only a cancel that reaches the provider connection ends it."""


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[str, Any]]:
    app = create_sim_app(SimConfig(ttft_ms=5, tokens_per_second=2000, answer_tokens=40))
    with serve_in_thread(app) as url:
        yield url, app.state.sim


def _provider(sim_url: str, model: str) -> Provider:
    return Provider(
        name="offline",
        base_url=f"{sim_url}/v1",
        api_key=None,
        models=(model,),
        default_model=model,
        timeout=10,
        max_retries=0,
    )


@dataclass(eq=False)
class HeldTurn(LiveTurn):
    """A turn whose emit of delta `HELD` waits at the gate before it is numbered, as an
    emit waits for a busy event lock under load. Only the run's time limit ends that wait."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    cut_at_gate: bool = False

    async def emit(self, event: TurnEvent, **kwargs: Any) -> LoggedEvent:
        if isinstance(event, Delta) and event.index == HELD:
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.cut_at_gate = True
                raise
        return await super().emit(event, **kwargs)


def _streamed(turn: LiveTurn) -> list[str]:
    return [json.loads(e.data)["text"] for e in turn.transcript if e.type == "delta"]


async def _cut_while_emitting(provider: Provider, model: str) -> tuple[RunRecord, list[str]]:
    """The client stays open afterwards, as a server's does: closing it would hide a leak."""
    resolved = ResolvedAgent(AgentSpec("offline", provider, model), model)
    turn = HeldTurn("turn-1", "conversation-1", MemoryEventLog())
    run = LiveRun(
        "run-1", resolved, [{"role": "user", "content": f"hold on ({model})"}], turn, time.monotonic
    )
    turn.runs = [run]
    await turn.open("conversation-1")
    await run.open()
    # The limit must pass while chunk HELD is held, so the run must reach it first: a cold
    # first request on a loaded machine took more than the 0.5 s this used to allow.
    options = RunOptions(instructions="Be brief.", tracing=False, time_limit=3.0)
    record = await complete_run(run, options)
    assert turn.cut_at_gate, "the limit passed while chunk HELD was held"
    return record, _streamed(turn)


async def test_timeout_while_emitting_keeps_text_and_stream_equal(sim: tuple[str, Any]) -> None:
    provider = _provider(sim[0], "offline-1")
    try:
        result, emitted = await _cut_while_emitting(provider, "offline-1")
    finally:
        await provider.aclose()
    assert result.status == "timeout"
    assert len(emitted) == HELD  # the held chunk was cut before it was numbered
    assert result.output == "".join(emitted)


async def test_a_cut_run_stops_streaming_from_the_provider(sim: tuple[str, Any]) -> None:
    url, handlers = sim
    provider = _provider(url, ENDLESS)
    try:
        result, emitted = await _cut_while_emitting(provider, ENDLESS)
        assert result.status == "timeout" and result.output == "".join(emitted)
        await eventually_async(  # the provider's own gauge
            lambda: not handlers.streaming.value, timeout=10, message="still streaming from it"
        )
    finally:
        await provider.aclose()

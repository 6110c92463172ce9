"""A run cut short while a chunk is on its way out: exact text, and the provider let go.

Found by the fault matrix under load. (1) The run appended a chunk to its text, then
waited for the turn's event lock to emit it; the run timeout cancelled it during that
wait, so the stored output had one chunk more than the stream. A chunk now joins the
run's text only as it is numbered into the turn, so a cancel during that wait leaves it
out of both. (2) A cancel landing
there, outside the Agents SDK's own queue wait, left the SDK's run task streaming from
the provider after the run had ended (found as an upstream stream still open long
after). Here the emit of chunk 3 is held, deterministically, until the timeout has
cancelled the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chatwait.providers import AgentSpec, Provider, ResolvedAgent
from chatwait.sim import SimConfig, create_sim_app
from chatwait.store.repo import RunResult
from chatwait.turns.run import execute_run
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


async def _cut_while_emitting(provider: Provider, model: str) -> tuple[RunResult, list[str]]:
    """The client stays open afterwards, as a server's does: closing it would hide a leak."""
    resolved = ResolvedAgent(AgentSpec("offline", provider, model), model)
    emitted: list[str] = []
    tasks: list[asyncio.Task[None]] = []
    gate = asyncio.Event()

    async def emit_delta(index: int, text: str, keep: Callable[[], None]) -> None:
        if index == HELD:
            await gate.wait()  # a busy event lock, as under load
        emitted.append(text)
        keep()

    async def open_gate_once_cancelled() -> None:
        """Polls the run task's cancel count: there is no event for it."""
        deadline = asyncio.get_running_loop().time() + 30
        while not (tasks and tasks[0].cancelling()):  # noqa: ASYNC110
            assert asyncio.get_running_loop().time() < deadline, "never cancelled"
            await asyncio.sleep(0.005)
        gate.set()

    opener = asyncio.create_task(open_gate_once_cancelled())
    result = await execute_run(
        resolved,
        [{"role": "user", "content": f"hold on ({model})"}],
        instructions="Be brief.",
        tracing=False,
        time_limit=0.5,
        emit_delta=emit_delta,
        register=tasks.append,
        cancel_status=lambda: None,
    )
    await opener
    return result, emitted


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
        deadline = asyncio.get_running_loop().time() + 10
        while handlers.streaming.value:  # noqa: ASYNC110 - the provider's own gauge
            assert asyncio.get_running_loop().time() < deadline, "still streaming from it"
            await asyncio.sleep(0.02)
    finally:
        await provider.aclose()

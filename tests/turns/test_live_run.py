"""The turn–run boundary without a service: one `LiveRun`, its `LiveTurn`, `complete_run`.

Agents answer from the SDK's `ScriptedModel` (tests/turns/scripted.py) and the turn logs
to the in-process event log: no database, no socket. Every wait is on an event the
script or the turn sets, never on time.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from chatwait.event_log import LoggedEvent, MemoryEventLog
from chatwait.providers import AgentSpec, ResolvedAgent
from chatwait.turns import LiveRun, LiveTurn
from chatwait.turns.events import Delta, TurnEvent
from chatwait.turns.run import RunOptions, abandon_run, complete_run, start_run
from tests.turns.scripted import Script, ScriptedProvider, scripted_provider

OPTIONS = RunOptions(instructions="Be brief.", tracing=False, time_limit=30)


@dataclass(eq=False)
class GatedTurn(LiveTurn):
    """A turn whose emit of the first event of type `hold` waits at `gate`."""

    hold: type[TurnEvent] | None = None
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    reached: asyncio.Event = field(default_factory=asyncio.Event)

    async def emit(self, event: TurnEvent, **kwargs: Any) -> LoggedEvent:
        if self.hold is not None and isinstance(event, self.hold) and not self.reached.is_set():
            self.reached.set()
            await self.gate.wait()
        return await super().emit(event, **kwargs)


def _clock() -> Callable[[], float]:
    return itertools.count(start=100.0, step=0.25).__next__


def _run(
    provider: ScriptedProvider | None = None,
    *,
    turn: LiveTurn | None = None,
    clock: Callable[[], float] | None = None,
) -> LiveRun:
    provider = provider or scripted_provider(["alpha"])
    turn = turn or LiveTurn("turn-1", "", MemoryEventLog())
    agent = ResolvedAgent(AgentSpec("alpha", provider, "scripted-1"), "scripted-1")
    run = LiveRun("run-1", agent, [{"role": "user", "content": "hi"}], turn, clock or _clock())
    turn.runs.append(run)
    return run


def _logged(turn: LiveTurn) -> list[tuple[str, dict[str, Any]]]:
    return [(e.type, json.loads(e.data)) for e in turn.transcript]


def _streamed(turn: LiveTurn) -> str:
    return "".join(data["text"] for kind, data in _logged(turn) if kind == "delta")


async def test_text_before_the_turn_opens_is_kept_then_logged_after_run_started() -> None:
    run = _run()
    await run.emit_text("a")
    await run.emit_text("b")
    assert run.turn.transcript == [], "nothing is logged before turn_started"
    assert run.progress.text == "ab" and run.progress.first_token is not None
    await run.turn.open("conversation-1")
    await run.open()
    await run.emit_text("c")
    assert _logged(run.turn) == [
        ("turn_started", _logged(run.turn)[0][1]),
        ("run_started", {"run_id": "run-1"}),
        ("delta", {"run_id": "run-1", "index": 0, "text": "a"}),
        ("delta", {"run_id": "run-1", "index": 1, "text": "b"}),
        ("delta", {"run_id": "run-1", "index": 2, "text": "c"}),
    ]
    assert _logged(run.turn)[0][1]["runs"][0]["run_id"] == "run-1"


async def test_text_that_arrives_while_the_early_text_is_logged_follows_it() -> None:
    turn = GatedTurn("turn-1", "", MemoryEventLog(), hold=Delta)
    run = _run(turn=turn)
    await run.emit_text("early ")
    await turn.open("conversation-1")
    opening = asyncio.create_task(run.open())
    await turn.reached.wait()  # logging "early " is under way
    await run.emit_text("late")  # must not overtake it
    turn.gate.set()
    await opening
    deltas = [d for kind, d in _logged(turn) if kind == "delta"]
    assert [(d["index"], d["text"]) for d in deltas] == [(0, "early "), (1, "late")]
    assert run.progress.text == "early late"


async def test_a_finished_run_keeps_its_text_usage_and_timings() -> None:
    provider = scripted_provider(["alpha"])
    provider.scripts["alpha"].append(Script(["Hel", "lo"], input_tokens=3, output_tokens=2))
    run = _run(provider, clock=_clock())  # 100.0 at creation, then +0.25 per reading
    await run.turn.open("conversation-1")
    await run.open()
    record = await complete_run(run, OPTIONS)
    assert (record.status, record.output, record.error) == ("done", "Hello", None)
    assert (record.usage.input_tokens, record.usage.output_tokens, record.attempts) == (3, 2, 1)
    assert (record.ttft_ms, record.latency_ms) == (250.0, 500.0)
    assert _streamed(run.turn) == "Hello"
    assert run.dispatched.is_set()


async def test_dispatched_is_set_when_the_request_goes_out_not_before() -> None:
    provider = scripted_provider(["alpha"])
    script = Script(["a", "b", "c"], dispatch_after=2, hold_at=1)
    provider.scripts["alpha"].append(script)
    run = _run(provider)
    running = asyncio.create_task(complete_run(run, OPTIONS))
    await script.reached.wait()
    assert not run.dispatched.is_set(), "streaming, but the request has not gone out"
    script.gate.set()
    record = await running
    assert run.dispatched.is_set()
    assert record.status == "done" and record.output == "abc"


async def test_a_run_that_fails_before_its_request_counts_as_dispatched() -> None:
    """An ended run must not hold up the turn's write for the dispatch wait."""
    provider = scripted_provider(["alpha"])
    provider.scripts["alpha"].append(
        Script(["x"], dispatch_after=5, fail_at=0, fail_with=RuntimeError("boom"))
    )
    run = _run(provider)
    record = await complete_run(run, OPTIONS)
    assert record.status == "error" and record.error is not None
    assert run.dispatched.is_set()


@pytest.mark.parametrize("status", ["cancelled", "interrupted"])
async def test_a_cancelled_turn_ends_its_streaming_run_with_the_cancel_status(
    status: Any,
) -> None:
    provider = scripted_provider(["alpha"])
    script = Script(["kept ", "never"], hold_at=1)
    provider.scripts["alpha"].append(script)
    run = _run(provider)
    await run.turn.open("conversation-1")
    await run.open()
    running = asyncio.create_task(complete_run(run, OPTIONS))
    await script.reached.wait()
    run.turn.cancel(status)
    record = await running
    assert record.status == status
    assert record.error is not None and record.error.code == status
    assert record.output == _streamed(run.turn) and "kept ".startswith(record.output)
    assert run.task is not None and run.task.done()


async def test_the_first_cancel_status_wins() -> None:
    turn = LiveTurn("turn-1", "", MemoryEventLog())
    turn.cancel("cancelled")
    turn.cancel("interrupted")
    assert turn.cancel_status == "cancelled"


async def test_a_run_started_after_its_turn_was_cancelled_sends_nothing() -> None:
    provider = scripted_provider(["alpha"])
    provider.scripts["alpha"].append(Script(["never"]))
    run = _run(provider)
    run.turn.cancel("cancelled")
    record = await complete_run(run, OPTIONS)
    assert (record.status, record.output, record.attempts) == ("cancelled", "", 0)
    assert len(provider.scripts["alpha"]) == 1, "the agent was never built: no request"
    assert run.dispatched.is_set()


async def test_a_run_over_its_time_limit_ends_timeout_with_its_text() -> None:
    """The script holds forever, so only the limit can end the run (no timing assert)."""
    provider = scripted_provider(["alpha"])
    provider.scripts["alpha"].append(Script(["slow ", "never"], hold_at=1))
    run = _run(provider)
    await run.turn.open("conversation-1")
    await run.open()
    options = RunOptions(instructions="Be brief.", tracing=False, time_limit=0.05)
    record = await complete_run(run, options)
    assert record.status == "timeout"
    assert record.error is not None and record.error.code == "timeout"
    assert record.error.retryable
    assert record.output == _streamed(run.turn) and "slow ".startswith(record.output)
    assert run.task is not None and run.task.done(), "the relay is over, not streaming on"
    assert isinstance(run.task.exception(), TimeoutError)


async def test_cancelling_the_caller_propagates_and_stops_the_run() -> None:
    """Whoever awaits `complete_run` going away is not a run status: it raises, and the
    streaming task is not left running."""
    provider = scripted_provider(["alpha"])
    script = Script(["a", "b"], hold_at=1)
    provider.scripts["alpha"].append(script)
    run = _run(provider)
    caller = asyncio.create_task(complete_run(run, OPTIONS))
    await script.reached.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert run.task is not None and run.task.done()
    assert run.dispatched.is_set()


async def test_an_ended_run_is_not_kept_alive_by_the_context_its_request_went_out_in() -> None:
    """A provider's pooled connection keeps the context of the request that opened it,
    and with it the run's attempt counter: that must not keep the turn alive."""
    provider = scripted_provider(["alpha"])
    script = Script(["a"])
    provider.scripts["alpha"].append(script)
    run = _run(provider)
    record = await complete_run(run, OPTIONS)
    assert record.status == "done" and script.sent_in, "the request went out"
    turn = weakref.ref(run.turn)
    del run
    gc.collect()
    assert turn() is None, gc.get_referrers(turn())


def _held_run(chunks: list[str]) -> tuple[LiveRun, Script]:
    """A run whose script streams its first chunk, then holds until `script.gate`."""
    provider = scripted_provider(["alpha"])
    script = Script(chunks, hold_at=1)
    provider.scripts["alpha"].append(script)
    return _run(provider), script


async def test_a_relay_started_before_its_turn_opened_is_completed_where_it_is_awaited() -> None:
    """`start_run` sends the request at once; `complete_run` later takes that relay over
    (no second request, nothing lost from before the turn opened)."""
    run, script = _held_run(["early ", "late"])
    relay = start_run(run, OPTIONS)
    await script.reached.wait()
    assert run.dispatched.is_set() and run.progress.text == "early "
    await run.turn.open("conversation-1")
    await run.open()
    script.gate.set()
    record = await complete_run(run, OPTIONS, relay)
    assert (record.status, record.output, record.attempts) == ("done", "early late", 1)
    assert _streamed(run.turn) == "early late"


async def test_an_abandoned_relay_is_cancelled_and_keeps_nothing_alive() -> None:
    """A turn that could not start (its rows were not written) abandons its runs' relays:
    each stops streaming, counts as dispatched, and leaves the turn collectable."""
    run, script = _held_run(["a", "never"])
    relay = start_run(run, OPTIONS)
    await script.reached.wait()
    abandon_run(run, relay)
    await asyncio.wait({relay})  # not `await`: its raised CancelledError holds frames
    assert relay.cancelled()
    # The SDK's own run task, cancelled by the relay on its way out, ends next.
    if others := asyncio.all_tasks() - {asyncio.current_task()}:
        await asyncio.wait(others)
    assert run.dispatched.is_set() and script.sent_in, "the request had gone out"
    turn = weakref.ref(run.turn)
    del run, relay
    gc.collect()
    assert turn() is None, gc.get_referrers(turn())

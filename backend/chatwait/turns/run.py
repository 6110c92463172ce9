"""Drive one `LiveRun` through the Agents SDK to its terminal `RunRecord`.

`complete_run` wraps `relay_stream`: the relay streams the SDK run under the run's time
limit and emits its text; `start_run` runs the relay in a task of its own, and
`complete_run` awaits it and turns however it ended (done, timed out, cancelled, failed)
into the record that is stored and sent.

The relay's task consumes `stream_events()` here and nowhere else: the SDK cancels a run
when the task consuming it is cancelled, so an SSE client going away can never reach it.
What it had streamed stays in `run.progress`, so a cut-short run keeps its text.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from typing import Any

from agents import (
    MaxTurnsExceeded,
    RunConfig,
    RunErrorHandlerInput,
    RunErrorHandlerResult,
    Runner,
    StreamEvent,
)
from openai.types.responses import (
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseRefusalDeltaEvent,
    ResponseTextDeltaEvent,
)

from chatwait.errors import RunFailure
from chatwait.providers import track_attempts, translate_error
from chatwait.turns.live_run import LiveRun
from chatwait.turns.records import RunErrorInfo, RunRecord, Usage
from chatwait.turns.tool_events import ToolRelay, tool_error_formatter

TEXT_EVENTS = (ResponseTextDeltaEvent, ResponseRefusalDeltaEvent)
"""A refusal (OpenAI's `delta.refusal`) is the model's answer too: the user reads it."""
REASONING_EVENTS = (ResponseReasoningSummaryTextDeltaEvent, ResponseReasoningTextDeltaEvent)
"""Reasoning as the SDK streams it: summaries (Responses; Chat Completions'
`reasoning_content`) and reasoning text (Responses; Chat Completions' `reasoning`)."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What every run of a service is given, from the settings."""

    instructions: str
    tracing: bool
    time_limit: float
    """Wall-clock seconds a run may take, retries included."""
    max_tool_rounds: int = 8
    """Model calls of a run that may ask for tools; one more may answer (`max_turns`)."""
    output_max_bytes: int = 16_384
    """Tool arguments and outputs, as stored and sent, are cut to this."""


async def relay_stream(run: LiveRun, options: RunOptions, deadline: float) -> None:
    """Run the agent to its final output, emitting every text chunk as it arrives;
    `TimeoutError` at `deadline` (the event loop's clock).

    The limit is kept here, in the relay's own task, rather than by `asyncio.wait_for`
    around it: no waiter future, callback and coroutine per run held for the whole
    stream (about 1.3 KB, docs/benchmarks.md).
    """
    progress = run.progress
    progress.attempts = track_attempts(on_first=run.request_sent)
    run.output_max_bytes = options.output_max_bytes
    agent = run.agent.spec.build(
        run.agent.model, default_instructions=options.instructions, api_key=run.agent.api_key
    )
    tools = ToolRelay(run)
    result = Runner.run_streamed(
        agent,
        run.items,
        max_turns=options.max_tool_rounds + 1,
        hooks=tools,
        run_config=_run_config(tracing=options.tracing),
        error_handlers={"model_refusal": _refusal_as_answer},
    )
    async with asyncio.timeout_at(deadline):
        try:
            async for event in result.stream_events():
                await _relay_event(run, tools, event)
        finally:  # tokens the provider billed count even when the run then fails
            usage = result.context_wrapper.usage
            progress.input_tokens = usage.input_tokens
            progress.output_tokens = usage.output_tokens
            # The SDK cancels its run only when a cancel lands in its own queue wait; one
            # that lands in an emit left its task streaming from the provider after the
            # run ended.
            if not result.is_complete:
                result.cancel()
        final = result.final_output
        if not progress.parts and isinstance(final, str) and final:
            await run.emit_text(final)


async def _relay_event(run: LiveRun, tools: ToolRelay, event: StreamEvent) -> None:
    """One SDK stream event as the run's `delta`, `reasoning`, `tool_call`, `tool_result`."""
    if event.type == "raw_response_event":
        data = event.data
        if isinstance(data, TEXT_EVENTS) and data.delta:
            await run.emit_text(data.delta)
        elif isinstance(data, REASONING_EVENTS) and data.delta:
            await run.emit_reasoning(data.delta)
    elif event.type == "run_item_stream_event":
        await tools.on_item(event.item)


@functools.cache
def _run_config(*, tracing: bool) -> RunConfig:
    """One `RunConfig` for every run (the SDK only reads it): each new one makes a
    `MultiProvider` and an `OpenAIProvider` that our runs, whose agents carry their
    `Model`, never ask for, held for the run's whole life."""
    return RunConfig(
        tracing_disabled=not tracing,
        tool_not_found_behavior="return_error_to_model",
        tool_error_formatter=tool_error_formatter,
    )


def _refusal_as_answer(data: RunErrorHandlerInput[Any]) -> RunErrorHandlerResult:
    """End a refused run `done` with the refusal as its output (the SDK would raise)."""
    return RunErrorHandlerResult(final_output=getattr(data.error, "refusal", ""))


Relay = asyncio.Task[None]
"""A run's relay, started (`start_run`): the task that is the run's to cancel."""


def start_run(run: LiveRun, options: RunOptions) -> Relay:
    """Start relaying the run in a task of its own, now; `complete_run` awaits it.

    Apart, so a turn can send its runs' requests at once and await each where it
    already is, not in one more task per run. The run's time limit starts now.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.time_limit
    task = loop.create_task(relay_stream(run, options, deadline), name=f"run-{run.run_id}")
    run.adopt(task)
    return task


async def complete_run(run: LiveRun, options: RunOptions, relay: Relay | None = None) -> RunRecord:
    """Await the run's relay to its end; never raises for a provider error.

    `relay` is the run's relay from `start_run`, else it starts now. A cancel of the
    task awaiting this (not of the relay) propagates, and cancels the relay with it: the
    caller is going away, and the relay's own cancel is what ends a run `cancelled`.
    """
    task = relay or start_run(run, options)
    failure: RunFailure | None = None
    try:
        await task
    except TimeoutError:
        failure = RunFailure(
            f"the run did not finish within {options.time_limit:g} s",
            code="timeout",
            retryable=True,
            status="timeout",
        )
    except MaxTurnsExceeded:
        failure = RunFailure(
            f"the model still asked for tools after {options.max_tool_rounds} rounds "
            "(MAX_TOOL_ROUNDS)",
            code="max_tool_rounds",
            status="error",
        )
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if not task.cancelled() or (current is not None and current.cancelling()):
            raise
        ended = run.cancel_status or "cancelled"
        failure = RunFailure(f"the run was {ended}", code=ended, status=ended)
    except Exception as exc:  # noqa: BLE001 - a provider error is data, never an escape
        failure = translate_error(
            exc,
            provider=run.agent.provider.name,
            started=run.progress.first_token is not None,
            secrets=run.agent.secrets(),
        )
    finally:
        _let_go(run)
    return _record(run, failure)


def abandon_run(run: LiveRun, relay: Relay) -> None:
    """Cancel a started relay that will not be awaited (its turn could not start)."""
    relay.cancel()
    _let_go(run)


def _let_go(run: LiveRun) -> None:
    """An ended run holds up nothing and is held by nothing it leaves behind."""
    run.request_sent()
    if run.progress.attempts is not None:
        # Its counter lives on in contexts the provider's pooled connections copied:
        # without this hook they would keep the whole turn alive until they close.
        run.progress.attempts.on_first = None


def _record(run: LiveRun, failure: RunFailure | None) -> RunRecord:
    """The run's terminal record: what it streamed, its usage, cost and timings."""
    progress, provider, now = run.progress, run.agent.provider, run.clock()
    tokens = progress.input_tokens, progress.output_tokens
    cost = provider.cost_usd(run.agent.model, input_tokens=tokens[0], output_tokens=tokens[1])
    ttft = progress.first_token
    error = None
    if failure is not None:
        error = RunErrorInfo(
            code=failure.code, message=failure.message, retryable=failure.retryable
        )
    return RunRecord(
        **run.ref().model_dump(),
        retry_of=run.retry_of,
        fusion=run.fusion,
        status=failure.status if failure else "done",
        output=progress.text,
        error=error,
        usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1]),
        cost_usd=cost if any(tokens) else None,
        latency_ms=round((now - progress.started) * 1000, 2),
        ttft_ms=round((ttft - progress.started) * 1000, 2) if ttft is not None else None,
        attempts=progress.attempts.count if progress.attempts else 0,
        tool_calls=progress.finished_calls(),
        reasoning=progress.reasoning,
    )

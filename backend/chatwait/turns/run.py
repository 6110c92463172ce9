"""One agent run: stream it through the Agents SDK, map its events, end in a status.

The streaming happens in a task of its own (`stream_run`), consumed here and nowhere
else: the SDK cancels a run when the task consuming `stream_events()` is cancelled, so an
SSE client going away can never reach it. Timeout and cancel act on that task; what it
had streamed is kept in `RunProgress`, so a cut-short run keeps its text.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from agents import RunConfig, RunErrorHandlerInput, RunErrorHandlerResult, Runner

from chatwait.errors import RunFailure
from chatwait.providers import AttemptCounter, ResolvedAgent, track_attempts, translate_error
from chatwait.store.repo import RunResult

EmitDelta = Callable[[int, str, Callable[[], None]], Awaitable[None]]
"""`emit_delta(index, text, keep)` numbers chunk `index` of a run into its turn and calls
`keep()` at that moment, synchronously: a cancel (timeout, stop) that lands before it,
say while the emit waits for the turn's event lock, leaves the chunk out of both the
stream and the run's stored text, one that lands after leaves it in both."""


TEXT_EVENTS = frozenset({"response.output_text.delta", "response.refusal.delta"})
"""A refusal (OpenAI's `delta.refusal`) is the model's answer too: the user reads it."""


@dataclass(slots=True)
class RunProgress:
    """What a run has produced so far; read after it ends, however it ended."""

    started: float
    parts: list[str] = field(default_factory=list)
    first_token: float | None = None
    attempts: AttemptCounter | None = None
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def text(self) -> str:
        return "".join(self.parts)


async def stream_run(
    resolved: ResolvedAgent,
    items: list[dict[str, Any]],
    *,
    instructions: str,
    tracing: bool,
    progress: RunProgress,
    emit_delta: EmitDelta,
    clock: Callable[[], float],
    on_dispatched: Callable[[], None] | None = None,
) -> None:
    """Run the agent to its final output, emitting every text chunk as it arrives."""
    progress.attempts = track_attempts(on_first=on_dispatched)
    agent = resolved.provider.build_agent(
        agent_name=resolved.spec.name, model=resolved.model, instructions=instructions
    )
    result = Runner.run_streamed(
        agent,
        items,
        run_config=RunConfig(tracing_disabled=not tracing),
        error_handlers={"model_refusal": _refusal_as_answer},
    )
    try:
        async for event in result.stream_events():
            if event.type != "raw_response_event" or event.data.type not in TEXT_EVENTS:
                continue
            text = event.data.delta
            if not text:
                continue
            if progress.first_token is None:
                progress.first_token = clock()
            await emit_delta(len(progress.parts), text, partial(progress.parts.append, text))
    finally:  # tokens the provider billed count even when the run then fails
        usage = result.context_wrapper.usage
        progress.input_tokens, progress.output_tokens = usage.input_tokens, usage.output_tokens
        # The SDK cancels its run only when a cancel lands in its own queue wait; one that
        # lands in an emit left its task streaming from the provider after the run ended.
        if not result.is_complete:
            result.cancel()
    final = result.final_output
    if not progress.parts and isinstance(final, str) and final:
        progress.first_token = progress.first_token or clock()
        await emit_delta(0, final, partial(progress.parts.append, final))


def _refusal_as_answer(data: RunErrorHandlerInput[Any]) -> RunErrorHandlerResult:
    """End a refused run `done` with the refusal as its output (the SDK would raise)."""
    return RunErrorHandlerResult(final_output=getattr(data.error, "refusal", ""))


async def execute_run(
    resolved: ResolvedAgent,
    items: list[dict[str, Any]],
    *,
    instructions: str,
    tracing: bool,
    time_limit: float,
    emit_delta: EmitDelta,
    register: Callable[[asyncio.Task[None]], None],
    cancel_status: Callable[[], str | None],
    clock: Callable[[], float] = time.monotonic,
    on_dispatched: Callable[[], None] | None = None,
) -> RunResult:
    """Stream one run and return its terminal result; never raises for a provider error.

    `on_dispatched` is called as the run's first provider request goes out.
    """
    progress = RunProgress(started=clock())
    task = asyncio.create_task(
        stream_run(
            resolved,
            items,
            instructions=instructions,
            tracing=tracing,
            progress=progress,
            emit_delta=emit_delta,
            clock=clock,
            on_dispatched=on_dispatched,
        )
    )
    register(task)
    if cancel_status() is not None:
        task.cancel()
    failure: RunFailure | None = None
    try:
        await asyncio.wait_for(task, time_limit)
    except TimeoutError:
        failure = RunFailure(
            f"the run did not finish within {time_limit:g} s",
            code="timeout",
            retryable=True,
            status="timeout",
        )
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if not task.cancelled() or (current is not None and current.cancelling()):
            raise
        status = cancel_status() or "cancelled"
        failure = RunFailure(f"the run was {status}", code=status, status=status)
    except Exception as exc:  # noqa: BLE001 - a provider error is data, never an escape
        failure = translate_error(
            exc,
            provider=resolved.provider.name,
            started=progress.first_token is not None,
            secrets=resolved.provider.secrets(),
        )
    return _result(resolved, progress, failure, clock())


def _result(
    resolved: ResolvedAgent, progress: RunProgress, failure: RunFailure | None, now: float
) -> RunResult:
    cost = resolved.provider.cost_usd(
        resolved.model, input_tokens=progress.input_tokens, output_tokens=progress.output_tokens
    )
    ttft = progress.first_token
    return RunResult(
        status=failure.status if failure else "done",
        output=progress.text,
        input_tokens=progress.input_tokens,
        output_tokens=progress.output_tokens,
        cost_usd=cost if progress.input_tokens or progress.output_tokens else None,
        latency_ms=round((now - progress.started) * 1000, 2),
        ttft_ms=round((ttft - progress.started) * 1000, 2) if ttft is not None else None,
        attempts=progress.attempts.count if progress.attempts else 0,
        error_code=failure.code if failure else None,
        error_message=failure.message if failure else None,
        error_retryable=failure.retryable if failure else False,
    )

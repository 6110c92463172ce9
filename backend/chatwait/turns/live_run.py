"""One agent run of a live turn: its input, its events, its task, what it produced.

The turn service makes one `LiveRun` per agent; `run.py` drives it:

    LiveRun ── complete_run ──▶ relay_stream ──▶ Runner.run_streamed ──▶ provider
       │           (time limit, cancel, errors      (SDK events → emit_text)
       │            → the run's RunRecord)
       └── emit_text ──▶ LiveTurn.emit ──▶ event log (seq numbers are the turn's)

Its provider request goes out at once, before the turn's rows exist; until the turn is
`opened` (its `turn_started` logged) the run's text is kept here, never waited for, and
`open` logs `run_started` and that text in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from agents import TResponseInputItem

from chatwait.latch import Latch
from chatwait.providers import AttemptCounter, ResolvedAgent
from chatwait.statuses import EndStatus
from chatwait.tools import cap_output
from chatwait.turns.events import Delta, Reasoning, RunEvent, RunStarted, ToolCall, ToolResult
from chatwait.turns.records import FusionInfo, RunRef, ToolCallRecord

if TYPE_CHECKING:
    from chatwait.turns.live import LiveTurn


@dataclass(slots=True)
class RunProgress:
    """What a run has produced so far; read after it ends, however it ended."""

    started: float
    parts: list[str] = field(default_factory=list)
    first_token: float | None = None
    attempts: AttemptCounter | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_parts: list[str] = field(default_factory=list)
    calls: dict[str, ToolCallRecord] = field(default_factory=dict)
    """Every tool call seen, by call id, in call order; `ended_at` set once it finished."""

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def reasoning(self) -> str | None:
        return "".join(self.reasoning_parts) or None

    def finished_calls(self) -> list[ToolCallRecord]:
        """The calls with a result: what the stored run keeps, however it ended."""
        return [call for call in self.calls.values() if call.ended_at is not None]


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(eq=False)
class LiveRun:
    """A run from its first provider request to its terminal record."""

    run_id: str
    agent: ResolvedAgent
    items: list[TResponseInputItem]
    """The model input: this agent's history in the conversation, then the message."""
    turn: LiveTurn
    clock: Callable[[], float]
    slot: str | None = None
    """Its label in a blind turn (A, B, …)."""
    retry_of: str | None = None
    """The run of the same (ended) turn this one regenerates."""
    fusion: FusionInfo | None = None
    """A fused run's strategy and the runs it reads."""
    progress: RunProgress = field(init=False)
    dispatched: Latch = field(default_factory=Latch)
    """Set once its first provider request has gone out, or it has ended."""
    task: asyncio.Task[None] | None = None
    """The task streaming from the provider; cancelling it ends the run."""
    output_max_bytes: int = 16_384
    """`TOOL_OUTPUT_MAX_BYTES`: tool arguments and outputs are cut to this."""
    _early: list[RunEvent] | None = field(default_factory=list)
    """Events that came before the turn opened; None once `open` logged them."""

    def __post_init__(self) -> None:
        self.progress = RunProgress(started=self.clock())

    def ref(self) -> RunRef:
        return RunRef(
            run_id=self.run_id,
            agent=self.agent.spec.name,
            provider=self.agent.provider.name,
            model=self.agent.model,
            slot=self.slot,
        )

    @property
    def cancel_status(self) -> EndStatus | None:
        """Set once the turn was cancelled or interrupted: how this run ends if cut short."""
        return self.turn.cancel_status

    def request_sent(self) -> None:
        """Its provider request went out (or it ended without one)."""
        self.dispatched.set()

    def adopt(self, task: asyncio.Task[None]) -> None:
        """Hold the streaming task; a turn already cancelled cancels it at once."""
        self.task = task
        if self.cancel_status is not None:
            task.cancel()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def emit_text(self, text: str) -> None:
        """Number the next chunk into the turn and keep it as the run's text.

        The chunk joins the stored text at the moment it is numbered (`on_numbered`): a
        cancel that lands before that, say while the emit waits for the turn's lock,
        leaves it out of both the stream and the stored text; one after leaves it in both.
        """
        if self.progress.first_token is None:
            self.progress.first_token = self.clock()
        delta = Delta(self.run_id, len(self.progress.parts), text, self.slot)
        await self._emit(delta, partial(self.progress.parts.append, text))

    async def emit_reasoning(self, text: str) -> None:
        """Number the next chunk of reasoning into the turn and keep it (as `emit_text`)."""
        parts = self.progress.reasoning_parts
        await self._emit(Reasoning(self.run_id, len(parts), text), partial(parts.append, text))

    async def tool_started(self, call_id: str, name: str, arguments: str) -> None:
        """A tool call began: `tool_call`, once per call id (the SDK's stream and its
        hooks both tell, whichever first)."""
        if call_id in self.progress.calls:
            return
        arguments = cap_output(arguments, self.output_max_bytes).text
        call = ToolCallRecord(call_id=call_id, name=name, arguments=arguments, started_at=_now())
        self.progress.calls[call_id] = call  # before any await: a result waits behind it
        await self._emit(ToolCall(self.run_id, call_id, name, arguments), None)

    async def tool_ended(
        self, call_id: str, name: str, output: str, *, is_error: bool, arguments: str = "{}"
    ) -> None:
        """A tool call finished: `tool_result`, once per call id, after its `tool_call`."""
        await self.tool_started(call_id, name, arguments)
        call = self.progress.calls[call_id]
        if call.output is not None:
            return
        call.output = cap_output(output, self.output_max_bytes).text
        call.is_error = is_error
        result = ToolResult(self.run_id, call_id, call.output, is_error)

        def keep() -> None:
            call.ended_at = _now()

        await self._emit(result, keep)

    async def _emit(self, event: RunEvent, keep: Callable[[], None] | None) -> None:
        """Into the turn, or kept for `open` while the turn is not open yet."""
        if self._early is not None:
            self._early.append(event)
            if keep is not None:
                keep()
            return
        await self.turn.emit(event, on_numbered=keep)

    async def open(self) -> None:
        """Log `run_started`, then the events that came before the turn opened."""
        fusion = self.fusion.model_dump(mode="json") if self.fusion else None
        added = self.ref() if self.retry_of is not None or fusion else None
        await self.turn.emit(RunStarted(self.run_id, added, self.retry_of, fusion))
        early = self._early or []
        sent = 0
        while sent < len(early):  # more may arrive while these are emitted
            await self.turn.emit(early[sent])
            sent += 1
        self._early = None

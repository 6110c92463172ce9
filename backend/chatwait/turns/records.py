"""The shapes clients see, defined once: a run, a turn, a conversation.

`RunRecord` is the one run type: the `/chat/wait` run object, the body of `run_done` and
`run_error` (without `output`), the history view and what a run's terminal row holds are
all built from it. Stored rows become records here (`from_row`), and records become
column values here (`row_values`), so `store/` keeps persistence only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chatwait.statuses import RUN_STATUSES, RunStatus, TurnStatus
from chatwait.store import Conversation, Run, Turn

if TYPE_CHECKING:
    from chatwait.turns.live import LiveTurn


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC (SQLite hands back naive datetimes that were stored as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """What a client asks for when it starts a turn."""

    message: str
    conversation_id: str | None = None
    agents: list[str] | None = None
    models: dict[str, str] | None = None
    blind: bool = False

    def fingerprint(self) -> str:
        """SHA-256 of the request's canonical JSON: "the same body" for idempotency."""
        body: dict[str, Any] = {
            "message": self.message,
            "conversation_id": self.conversation_id,
            "agents": self.agents,
            "models": self.models or {},
        }
        if self.blind:  # absent when false: keys remembered before blind mode still match
            body["blind"] = True
        canonical = json.dumps(
            body,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class StartedTurn:
    """The turn a start answered with."""

    turn_id: str
    live: LiveTurn | None = None
    """The turn, when it is live in this process."""
    attached: bool = False
    """An earlier request with the same `Idempotency-Key` started it."""


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0


class RunErrorInfo(BaseModel):
    """Why a run ended without a full answer (never holds a secret)."""

    code: str
    message: str | None
    retryable: bool = False


class RunRef(BaseModel):
    """Which agent, provider and model a run uses: `turn_started` lists these."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    agent: str
    provider: str
    model: str
    slot: str | None = None
    """Its label in a blind turn (A, B, …); None otherwise."""

    def public(self) -> dict[str, Any]:
        """Its entry in `turn_started`: `{run_id, slot}` only in a blind turn."""
        if self.slot is not None:
            return {"run_id": self.run_id, "slot": self.slot}
        return self.model_dump(exclude={"slot"})


WITHHELD = "withheld until the vote"
_CARRIED_BY_EVENTS = {"output", "tool_calls", "reasoning"}
"""Run fields a stream carries in its own events, left out of `run_done` / `run_error`."""


class BlindRun(BaseModel):
    """A run of a blind turn before the vote: its slot instead of agent, provider and
    model, and no cost, tokens or provider messages (they would name the model)."""

    run_id: str
    slot: str
    status: RunStatus = Field(description=" | ".join(RUN_STATUSES))
    output: str = ""
    error: RunErrorInfo | None = None
    """Its code and whether a retry could help; the message is withheld."""
    latency_ms: float | None = None
    ttft_ms: float | None = None


class ToolCallRecord(BaseModel):
    """One tool call of a run: what the model asked, what the tool answered, when."""

    call_id: str
    name: str
    arguments: str = Field(description="JSON text, as the model wrote it.")
    output: str | None = Field(
        None, description="Capped at TOOL_OUTPUT_MAX_BYTES; null while the tool runs."
    )
    is_error: bool = False
    started_at: str | None = None
    ended_at: str | None = None


class FusionInfo(BaseModel):
    """What a fused run read: under which strategy, and which runs in which order."""

    strategy: Literal["merge", "critique", "custom"]
    sources: list[str] = Field(
        description="Run ids of the answers it read, in the (shuffled) order it read them."
    )
    prompt: str | None = Field(None, description="The custom strategy's instructions.")


class RunRecord(RunRef):
    """A run as clients see it, live or stored (`slot` is null outside blind turns)."""

    status: RunStatus = Field(description=" | ".join(RUN_STATUSES))
    output: str = ""
    error: RunErrorInfo | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    attempts: int = 0
    tool_calls: list[ToolCallRecord] = Field(
        default_factory=list, description="The tool calls that finished, in call order."
    )
    reasoning: str | None = Field(
        None, description="The reasoning the model showed, apart from `output`; null: none."
    )
    retry_of: str | None = None
    """The run of the same turn this one regenerates."""
    fusion: FusionInfo | None = None
    """Set for a fused run: its strategy and sources."""

    @property
    def added(self) -> bool:
        """Added to the turn after it had ended (a regenerate or a fusion)."""
        return self.retry_of is not None or self.fusion is not None

    @classmethod
    def from_row(cls, run: Run) -> RunRecord:
        error = None
        if run.error_code:
            error = RunErrorInfo(
                code=run.error_code, message=run.error_message, retryable=run.error_retryable
            )
        return cls(
            run_id=run.id,
            agent=run.agent,
            provider=run.provider,
            model=run.model,
            status=run.status,
            output=run.output,
            error=error,
            usage=Usage(input_tokens=run.input_tokens, output_tokens=run.output_tokens),
            cost_usd=run.cost_usd,
            latency_ms=run.latency_ms,
            ttft_ms=run.ttft_ms,
            attempts=run.attempts,
            tool_calls=[ToolCallRecord.model_validate(c) for c in run.tool_calls or []],
            reasoning=run.reasoning,
            slot=run.slot,
            retry_of=run.retry_of,
            fusion=FusionInfo.model_validate(run.fusion) if run.fusion else None,
        )

    def row_values(self) -> dict[str, Any]:
        """The columns of the run's terminal row."""
        error = self.error
        return {
            "status": self.status,
            "output": self.output,
            "input_tokens": self.usage.input_tokens,
            "output_tokens": self.usage.output_tokens,
            "cost_usd": self.cost_usd,
            "latency_ms": self.latency_ms,
            "ttft_ms": self.ttft_ms,
            "attempts": self.attempts,
            "error_code": error.code if error else None,
            "error_message": error.message if error else None,
            "error_retryable": error.retryable if error else False,
            "tool_calls": [call.model_dump(mode="json") for call in self.tool_calls] or None,
            "reasoning": self.reasoning,
        }

    def ref(self) -> RunRef:
        return RunRef(
            run_id=self.run_id,
            agent=self.agent,
            provider=self.provider,
            model=self.model,
            slot=self.slot,
        )

    def blind(self) -> BlindRun:
        """The run as a blind turn shows it before the vote."""
        error = self.error
        if error is not None:
            error = RunErrorInfo(code=error.code, message=WITHHELD, retryable=error.retryable)
        assert self.slot is not None
        return BlindRun(
            run_id=self.run_id,
            slot=self.slot,
            status=self.status,
            output=self.output,
            error=error,
            latency_ms=self.latency_ms,
            ttft_ms=self.ttft_ms,
        )

    def event_payload(self) -> dict[str, Any]:
        """The body of its `run_done` / `run_error` event: the run without `output`,
        `tool_calls` and `reasoning` (its `delta`, `tool_call`, `tool_result` and
        `reasoning` events carried them); a blind run's slot and timings only (`BlindRun`)."""
        if self.slot is not None:
            return self.blind().model_dump(mode="json", exclude=_CARRIED_BY_EVENTS)
        exclude = {*_CARRIED_BY_EVENTS, "slot"}
        if self.retry_of is None:
            exclude.add("retry_of")
        if self.fusion is None:
            exclude.add("fusion")
        return self.model_dump(mode="json", exclude=exclude)

    def revealed_payload(self) -> dict[str, Any]:
        """The body of its terminal event once its blind turn is revealed: all of it."""
        return self.model_dump(mode="json", exclude=_CARRIED_BY_EVENTS)


class TurnRecord(BaseModel):
    """A turn with every run: the answer of `POST /chat/wait` and `GET /chat/turns/{id}`."""

    turn_id: str
    conversation_id: str
    status: TurnStatus
    message: str
    created_at: str | None
    runs: list[RunRecord | BlindRun]
    """In request order; a blind turn's runs in slot order, as `BlindRun` until revealed."""
    blind: bool = False
    revealed_at: str | None = None
    """When a blind turn was voted on or revealed (it reads with names since)."""

    @classmethod
    def from_row(cls, turn: Turn) -> TurnRecord:
        records = [RunRecord.from_row(run) for run in turn.runs]
        runs: list[RunRecord | BlindRun] = list(records)
        if turn.blind:
            records.sort(key=lambda r: r.slot or "")
            runs = list(records) if turn.revealed_at else [r.blind() for r in records]
        return cls(
            turn_id=turn.id,
            conversation_id=turn.conversation_id,
            status=turn.status,
            message=turn.message,
            created_at=iso(turn.created_at),
            runs=runs,
            blind=turn.blind,
            revealed_at=iso(turn.revealed_at),
        )


class ConversationSummary(BaseModel):
    id: str
    title: str
    created_at: str | None
    updated_at: str | None
    metadata: dict[str, Any]

    @classmethod
    def from_row(cls, conversation: Conversation) -> ConversationSummary:
        return cls(
            id=conversation.id,
            title=conversation.title,
            created_at=iso(conversation.created_at),
            updated_at=iso(conversation.updated_at),
            metadata=conversation.meta or {},
        )


class ConversationDetail(ConversationSummary):
    turns: list[TurnRecord]

    @classmethod
    def from_row(cls, conversation: Conversation) -> ConversationDetail:
        summary = ConversationSummary.from_row(conversation)
        return cls(
            **summary.model_dump(), turns=[TurnRecord.from_row(t) for t in conversation.turns]
        )


class ConversationPage(BaseModel):
    items: list[ConversationSummary]
    total: int
    limit: int
    offset: int

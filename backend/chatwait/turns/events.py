"""The events of a turn, as typed records with a `Literal` tag, and their one encoding.

Each record knows its payload; `encode` turns it into JSON once, at the writer, and that
text is what the log stores, the SSE stream sends and the transcript keeps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeAlias

from chatwait.statuses import TurnStatus
from chatwait.turns.records import RunRecord, RunRef

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
"""Built once: `json.dumps` with options builds an encoder per call, once per token here."""


def encode(payload: dict[str, Any]) -> str:
    """Compact JSON, UTF-8 kept as is (a token's text is most of a delta), except the
    three characters JSON leaves raw that `str.splitlines` breaks lines at.

    U+2028, U+2029 and U+0085 in model output reached SSE `data:` lines raw; a client
    splitting lines like `str.splitlines` (httpx's `iter_lines`) then read the rest of the
    line as a field of its own and could be fed a forged event. Escaped, they are still the
    same JSON string, and every line break of an encoded payload is gone.
    """
    text = _ENCODER.encode(payload)
    if "\u2028" in text or "\u2029" in text or "\x85" in text:
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        text = text.replace("\x85", "\\u0085")
    return text


@dataclass(frozen=True, slots=True)
class TurnStarted:
    type: ClassVar[Literal["turn_started"]] = "turn_started"
    turn_id: str
    conversation_id: str
    runs: list[RunRef]
    """In request order; a blind turn's in slot order, each only `{run_id, slot}`."""

    def payload(self) -> dict[str, Any]:
        if any(run.slot is not None for run in self.runs):
            runs = sorted(self.runs, key=lambda run: run.slot or "")
            return {
                "turn_id": self.turn_id,
                "conversation_id": self.conversation_id,
                "blind": True,
                "runs": [run.public() for run in runs],
            }
        return {
            "turn_id": self.turn_id,
            "conversation_id": self.conversation_id,
            "runs": [run.public() for run in self.runs],
        }


@dataclass(frozen=True, slots=True)
class RunStarted:
    type: ClassVar[Literal["run_started"]] = "run_started"
    run_id: str
    added: RunRef | None = None
    """Set for a run added to an ended turn (a regenerate, a fusion): which agent and
    model, or its slot in a blind turn."""
    retry_of: str | None = None
    fusion: dict[str, Any] | None = None
    """A fused run's strategy and sources (`FusionInfo` as JSON)."""

    def payload(self) -> dict[str, Any]:
        if self.added is None:
            return {"run_id": self.run_id}
        if self.fusion is not None:
            return {**self.added.public(), "fusion": self.fusion}
        return {**self.added.public(), "retry_of": self.retry_of}


@dataclass(frozen=True, slots=True)
class Delta:
    type: ClassVar[Literal["delta"]] = "delta"
    run_id: str
    index: int
    """0-based position of this chunk within its run: (run_id, index) is unique."""
    text: str
    slot: str | None = None
    """The run's slot in a blind turn."""

    def payload(self) -> dict[str, Any]:
        if self.slot is None:
            return {"run_id": self.run_id, "index": self.index, "text": self.text}
        return {"run_id": self.run_id, "slot": self.slot, "index": self.index, "text": self.text}


@dataclass(frozen=True, slots=True)
class Reasoning:
    type: ClassVar[Literal["reasoning"]] = "reasoning"
    run_id: str
    index: int
    """0-based position of this chunk of reasoning within its run (apart from deltas')."""
    text: str

    def payload(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "index": self.index, "text": self.text}


@dataclass(frozen=True, slots=True)
class ToolCall:
    type: ClassVar[Literal["tool_call"]] = "tool_call"
    run_id: str
    call_id: str
    name: str
    arguments: str
    """As the model wrote them: JSON text (capped like outputs)."""

    def payload(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "call_id": self.call_id,
            "name": self.name,
            "arguments": self.arguments,
        }


@dataclass(frozen=True, slots=True)
class ToolResult:
    type: ClassVar[Literal["tool_result"]] = "tool_result"
    run_id: str
    call_id: str
    output: str
    """Capped at `TOOL_OUTPUT_MAX_BYTES`, marked where cut."""
    is_error: bool

    def payload(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "call_id": self.call_id,
            "output": self.output,
            "is_error": self.is_error,
        }


@dataclass(frozen=True, slots=True)
class RunDone:
    type: ClassVar[Literal["run_done"]] = "run_done"
    run: RunRecord
    """Sent as `/chat/wait` shows it, without `output` (the deltas carried it)."""

    def payload(self) -> dict[str, Any]:
        return self.run.event_payload()


@dataclass(frozen=True, slots=True)
class RunError:
    type: ClassVar[Literal["run_error"]] = "run_error"
    run: RunRecord
    """The run; `status` and `error` say how it ended."""

    def payload(self) -> dict[str, Any]:
        return self.run.event_payload()


def terminal_event(run: RunRecord) -> RunDone | RunError:
    """The event that tells clients how `run` ended: the one place this is decided."""
    return RunDone(run) if run.status == "done" else RunError(run)


@dataclass(frozen=True, slots=True)
class TurnDone:
    type: ClassVar[Literal["turn_done"]] = "turn_done"
    turn_id: str
    status: TurnStatus

    def payload(self) -> dict[str, Any]:
        return {"turn_id": self.turn_id, "status": self.status}


RunEvent: TypeAlias = Delta | Reasoning | ToolCall | ToolResult
"""What a run emits while it streams."""

TurnEvent: TypeAlias = (
    TurnStarted
    | RunStarted
    | Delta
    | Reasoning
    | ToolCall
    | ToolResult
    | RunDone
    | RunError
    | TurnDone
)
"""Every event a turn emits."""

"""What a pane shows besides its answer: the run's tool calls and its reasoning.

Pure, like `turn_view` (which owns one `RunSteps` per pane): fed by the `tool_call`,
`tool_result` and `reasoning` SSE events, or by a turn body's `tool_calls` and
`reasoning` (wait mode, history), and turned into the JSON the `AgentPanes` element
renders as collapsible rows ("Used calculator") and a "Thought for 3.2 s" block.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunSteps", "ToolCall"]

ARGUMENTS_SHOWN = 2_000
"""Characters of a call's arguments or output shown in a row; the rest is cut."""


@dataclass
class ToolCall:
    """One tool call of a run, from its call to its result."""

    call_id: str
    name: str
    arguments: str
    output: str | None = None
    is_error: bool = False

    @property
    def state(self) -> str:
        if self.output is None:
            return "running"
        return "error" if self.is_error else "done"

    def to_props(self) -> dict[str, Any]:
        labels = {
            "running": f"Calling {self.name}…",
            "done": f"Used {self.name}",
            "error": f"{self.name} failed",
        }
        return {
            "callId": self.call_id,
            "name": self.name,
            "state": self.state,
            "label": labels[self.state],
            "arguments": _cut(self.arguments),
            "output": None if self.output is None else _cut(self.output),
        }


@dataclass
class RunSteps:
    """A run's tool calls (in call order) and reasoning text (gap-free by index)."""

    clock: Callable[[], float]
    calls: dict[str, ToolCall] = field(default_factory=dict)
    reasoning_chunks: dict[int, str] = field(default_factory=dict)
    stored_reasoning: str | None = None
    """Reasoning from a turn body; wins over streamed chunks."""
    thinking_since: float | None = None
    thought_seconds: float | None = None

    # -- live events ----------------------------------------------------------------

    def on_reasoning(self, data: Mapping[str, Any]) -> bool:
        index = data.get("index")
        if not isinstance(index, int) or index in self.reasoning_chunks:
            return False
        self.reasoning_chunks[index] = str(data.get("text") or "")
        if self.thinking_since is None:
            self.thinking_since = self.clock()
        return True

    def on_tool_call(self, data: Mapping[str, Any]) -> bool:
        call_id = str(data.get("call_id") or "")
        if not call_id or call_id in self.calls:
            return False
        self.stop_thinking()
        self.calls[call_id] = ToolCall(
            call_id, str(data.get("name") or "tool"), _text(data.get("arguments"))
        )
        return True

    def on_tool_result(self, data: Mapping[str, Any]) -> bool:
        call = self.calls.get(str(data.get("call_id") or ""))
        if call is None or call.output is not None:
            return False
        call.output = _text(data.get("output"))
        call.is_error = bool(data.get("is_error"))
        return True

    def stop_thinking(self) -> None:
        """The answer (or a tool call, or the run's end) came: reasoning is over."""
        if self.thinking_since is not None and self.thought_seconds is None:
            self.thought_seconds = self.clock() - self.thinking_since

    # -- stored runs ----------------------------------------------------------------

    def adopt(self, run: Mapping[str, Any]) -> None:
        """Take a stored run's `tool_calls` and `reasoning` as the truth."""
        stored: Iterable[Mapping[str, Any]] = run.get("tool_calls") or []
        calls: dict[str, ToolCall] = {}
        for item in stored:
            call = ToolCall(
                str(item.get("call_id") or len(calls)),
                str(item.get("name") or "tool"),
                _text(item.get("arguments")),
            )
            if item.get("output") is not None or item.get("ended_at") is not None:
                call.output = _text(item.get("output"))
                call.is_error = bool(item.get("is_error"))
            calls[call.call_id] = call
        if calls or "tool_calls" in run:
            self.calls = calls
        if run.get("reasoning"):
            self.stored_reasoning = str(run["reasoning"])

    def clear(self) -> None:
        self.calls.clear()
        self.reasoning_chunks.clear()
        self.stored_reasoning = None
        self.thinking_since = self.thought_seconds = None

    # -- props ----------------------------------------------------------------------

    @property
    def reasoning(self) -> str:
        if self.stored_reasoning is not None:
            return self.stored_reasoning
        parts: list[str] = []
        while len(parts) in self.reasoning_chunks:
            parts.append(self.reasoning_chunks[len(parts)])
        return "".join(parts)

    def reasoning_props(self, *, run_finished: bool) -> dict[str, Any] | None:
        text = self.reasoning
        if not text:
            return None
        live = self.thought_seconds is None and not run_finished and not self.stored_reasoning
        if live:
            label = "Thinking…"
        elif self.thought_seconds is not None:
            label = f"Thought for {self.thought_seconds:.1f} s"
        else:
            label = "Reasoning"
        return {"text": text, "label": label, "live": live}

    def tool_props(self) -> list[dict[str, Any]]:
        return [call.to_props() for call in self.calls.values()]


def _text(value: Any) -> str:
    """Arguments and outputs as shown: strings as they are, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _cut(text: str) -> str:
    if len(text) <= ARGUMENTS_SHOWN:
        return text
    return text[:ARGUMENTS_SHOWN] + f"… ({len(text) - ARGUMENTS_SHOWN} more characters)"

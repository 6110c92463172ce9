"""One pane of a turn: what an agent run's column shows, and its footer (pure).

`TurnView` (`turn_view.py`) keeps one `Pane` per run and folds events into it; a run
added to an ended turn (a regenerate, a fusion) carries `retry_of` or `fusion`, which
its pane names in a badge.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chatwait_ui.blind import HIDDEN_NOTE
from chatwait_ui.pane_text import duration_text, error_props
from chatwait_ui.steps import RunSteps

__all__ = ["STATUS_LABELS", "TERMINAL_STATUSES", "Pane", "TurnEvent", "footer_items"]

TERMINAL_STATUSES = frozenset({"done", "error", "timeout", "cancelled", "interrupted"})
STATUS_LABELS = {
    "pending": "Waiting",
    "running": "Streaming",
    "done": "Done",
    "error": "Error",
    "timeout": "Timed out",
    "cancelled": "Cancelled",
    "interrupted": "Interrupted",
}


@dataclass(frozen=True)
class TurnEvent:
    """One SSE event of a turn: `id:` as `seq`, `event:` as `type`, `data:` decoded."""

    seq: int | None
    type: str
    data: Mapping[str, Any]


@dataclass
class Pane:
    """What one agent's column shows."""

    key: str
    """The run id once known; `agent:<name>` for a placeholder."""
    agent: str
    model: str
    provider: str = ""
    run_id: str | None = None
    slot: str | None = None
    """Its label in a blind turn (A, B, …)."""
    status: str = "pending"
    chunks: dict[int, str] = field(default_factory=dict)
    final_text: str | None = None
    """Persisted output; when set it is shown instead of the streamed chunks."""
    error: dict[str, Any] | None = None
    run: dict[str, Any] | None = None
    """The run's metadata (usage, latency, TTFT, cost) from `run_done` or a turn body."""
    steps: RunSteps = field(default_factory=lambda: RunSteps(time.monotonic))
    """Its tool calls and reasoning."""
    retry_of: str | None = None
    """A regenerated answer: the run it regenerates."""
    fusion: dict[str, Any] | None = None
    """A fused answer: `{"strategy", "sources", "prompt"}`."""

    def adopt_origin(self, data: Mapping[str, Any]) -> None:
        """Read `retry_of` / `fusion` from a `run_started` or a run object."""
        if data.get("retry_of"):
            self.retry_of = str(data["retry_of"])
        if isinstance(data.get("fusion"), Mapping):
            self.fusion = dict(data["fusion"])

    @property
    def badge(self) -> str | None:
        """How the pane says where its answer came from: "Regenerated", "Fusion · merge"."""
        if self.fusion is not None:
            return f"Fusion · {self.fusion.get('strategy') or 'merge'}"
        return "Regenerated" if self.retry_of else None

    @property
    def text(self) -> str:
        """The text so far: only the gap-free prefix of chunks, so nothing shows twice."""
        if self.final_text is not None:
            return self.final_text
        parts: list[str] = []
        while len(parts) in self.chunks:
            parts.append(self.chunks[len(parts)])
        return "".join(parts)

    @property
    def has_gap(self) -> bool:
        """Chunks arrived past a missing index (text beyond the gap is not shown)."""
        return self.final_text is None and any(i >= len(self.chunks) for i in self.chunks)

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def to_props(self, *, hidden: bool = False) -> dict[str, Any]:
        """The JSON the `AgentPanes` element renders for this pane; `hidden`: a blind
        turn before the vote, named by its slot only."""
        footer = footer_items(self, hidden=hidden) if self.finished else None
        return {
            "key": self.key,
            "runId": self.run_id,
            "badge": self.badge,
            "retryOf": self.retry_of,
            "agent": self.slot if hidden else self.agent,
            "provider": "" if hidden else self.provider,
            "model": "" if hidden else self.model,
            "slot": self.slot,
            "hidden": hidden,
            "status": self.status,
            "statusLabel": STATUS_LABELS.get(self.status, self.status.capitalize()),
            "text": self.text,
            "reasoning": self.steps.reasoning_props(run_finished=self.finished),
            "tools": self.steps.tool_props(),
            "error": error_props(self.error, self.status),
            "footer": footer,
        }


def footer_items(pane: Pane, *, hidden: bool = False) -> list[str]:
    """The footer of a finished pane: status, model, TTFT, latency, tokens, cost
    (`hidden`, a blind pane before the vote: status and timings only)."""
    run = pane.run or {}
    items = [STATUS_LABELS.get(pane.status, pane.status)]
    if not hidden:
        items.append(pane.model)
    ttft = run.get("ttft_ms")
    items.append(f"TTFT {duration_text(ttft)}" if ttft is not None else "TTFT —")
    latency = run.get("latency_ms")
    items.append(f"latency {duration_text(latency)}" if latency is not None else "latency —")
    if hidden:
        return [*items, HIDDEN_NOTE]
    usage = run.get("usage") or {}
    tokens_in, tokens_out = usage.get("input_tokens"), usage.get("output_tokens")
    if tokens_in is not None or tokens_out is not None:
        items.append(f"{tokens_in or 0} in · {tokens_out or 0} out tokens")
    else:
        items.append("tokens —")
    cost = run.get("cost_usd")
    items.append(f"${cost:.6f}" if isinstance(cost, int | float) else "cost n/a")
    attempts = run.get("attempts")
    if isinstance(attempts, int) and attempts > 1:
        items.append(f"{attempts} attempts")
    return items

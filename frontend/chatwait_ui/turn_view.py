"""The event-to-pane state machine: one `TurnView` per turn, one `Pane` per agent run.

Pure on purpose (no Chainlit, no I/O): every way a turn reaches the screen goes through
here, so ordering, deduplication, resume, footers, errors and cancellation are tested
without a browser.

- Streaming: `apply()` consumes SSE events. An event whose `seq` is not above the last
  one seen is a replay from a resumed connection and is dropped; a delta whose
  `(run_id, index)` is already known is dropped too, so a resume never doubles text.
- Wait mode, history and reconciliation: `apply_turn()` takes a turn body
  (`POST /chat/wait`, `GET /chat/turns/{id}`, one entry of `GET /conversations/{id}`)
  whose `output` is the persisted text and wins over streamed chunks.
- Panes exist before the backend names the runs (`planned`), so the user sees one pane
  per chosen agent at once; `turn_started` swaps them for the real runs.
- Blind turns (`blind.py`): panes are named by slot (A, B, …) and show no model, tokens
  or cost until the turn is revealed (voted on, or `reveal`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chatwait_ui.blind import HIDDEN_NOTE, Battle, planned_slots
from chatwait_ui.pane_text import duration_text, error_props
from chatwait_ui.steps import RunSteps

__all__ = [
    "TERMINAL_STATUSES",
    "Pane",
    "TurnEvent",
    "TurnView",
    "footer_items",
]

Mode = Literal["streaming", "wait"]
TERMINAL_STATUSES = frozenset({"done", "error", "timeout", "cancelled", "interrupted"})
_STATUS_LABELS = {
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
            "agent": self.slot if hidden else self.agent,
            "provider": "" if hidden else self.provider,
            "model": "" if hidden else self.model,
            "slot": self.slot,
            "hidden": hidden,
            "status": self.status,
            "statusLabel": _STATUS_LABELS.get(self.status, self.status.capitalize()),
            "text": self.text,
            "reasoning": self.steps.reasoning_props(run_finished=self.finished),
            "tools": self.steps.tool_props(),
            "error": error_props(self.error, self.status),
            "footer": footer,
        }


class TurnView:
    """The state of one turn as the user sees it."""

    def __init__(
        self,
        mode: Mode | None,
        planned: Iterable[tuple[str, str]] = (),
        *,
        clock: Callable[[], float] = time.monotonic,
        blind: bool = False,
    ) -> None:
        self.mode = mode
        self.clock = clock
        """Times reasoning ("Thought for 3.2 s") on live streams."""
        """None for a turn read back from history, whose mode was not recorded."""
        self.turn_id: str | None = None
        self.conversation_id: str | None = None
        self.status = "pending"
        self.last_seq = 0
        self.notice: str | None = None
        """A turn-level problem (request refused, backend unreachable)."""
        self.battle: Battle | None = Battle() if blind else None
        """Set for a blind turn: its vote state."""
        self.panes: dict[str, Pane] = {}
        planned = list(planned)
        # blind: the chosen agents are not shown, one pane per slot (A, B, …) instead
        slots = planned_slots(len(planned)) if blind else [None] * len(planned)
        for (agent, model), slot in zip(planned, slots, strict=True):
            key = f"slot:{slot}" if slot else f"agent:{agent}"
            self.panes[key] = self._new_pane(key, "" if slot else agent, "" if slot else model)
            self.panes[key].slot = slot

    @property
    def hidden(self) -> bool:
        """A blind turn not yet revealed: panes show slots, not models."""
        return self.battle is not None and not self.battle.revealed

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def has_gaps(self) -> bool:
        return any(pane.has_gap for pane in self.panes.values())

    def apply(self, event: TurnEvent) -> bool:
        """Fold one SSE event in; False when it was a duplicate or changed nothing."""
        if event.seq is not None:
            if event.seq <= self.last_seq:
                return False
            self.last_seq = event.seq
        handler = _HANDLERS.get(event.type)
        return handler(self, event.data) if handler else False

    def restart(self) -> None:
        """Forget every event seen, keeping the panes: the backend renumbered the turn.

        After the process running a turn died, the turn is rebuilt from its rows with
        new seq numbers, and a resume with an old `Last-Event-ID` is refused
        (`stream_reset`). The follower then reads it again from the start.
        """
        self.last_seq = 0
        for pane in self.panes.values():
            pane.chunks.clear()
            pane.final_text = None
            pane.status, pane.error, pane.run = "pending", None, None
            pane.steps.clear()

    def apply_turn(self, turn: Mapping[str, Any]) -> None:
        """Take a turn body as the truth: ids, status, and every run with its output."""
        self.turn_id = turn.get("turn_id", self.turn_id)
        self.conversation_id = turn.get("conversation_id", self.conversation_id)
        self.status = str(turn.get("status") or self.status)
        self._adopt_blindness(turn)
        runs = turn.get("runs") or []
        self._adopt_runs(runs)
        for run in runs:
            pane = self.panes[run["run_id"]]
            pane.status = str(run.get("status") or pane.status)
            pane.error = run.get("error")
            pane.run = dict(run)
            pane.steps.adopt(run)
            if pane.finished:
                pane.final_text = run.get("output") or ""

    def fail(self, message: str) -> None:
        """The turn could not run at all: every unfinished pane says why."""
        self.notice = message
        self.status = "error"
        for pane in self.panes.values():
            if not pane.finished:
                pane.status = "error"
                pane.error = {"code": "request_failed", "message": message, "retryable": True}

    def to_props(self) -> dict[str, Any]:
        """Everything the `AgentPanes` element needs, as JSON-ready data."""
        hidden = self.hidden
        panes = [pane.to_props(hidden=hidden) for pane in self.panes.values()]
        pending = [p["agent"] for p in panes if p["status"] not in TERMINAL_STATUSES]
        battle = None
        if self.battle is not None:
            slots = [p.slot for p in self.panes.values() if p.slot]
            battle = self.battle.to_props(slots, turn_finished=self.finished)
        return {
            "mode": self.mode,
            "status": self.status,
            "turnId": self.turn_id,
            "notice": self.notice,
            "pendingAgents": pending if not self.finished else [],
            "blind": self.battle is not None,
            "battle": battle,
            "panes": panes,
        }

    # -- event handlers -------------------------------------------------------------

    def _on_turn_started(self, data: Mapping[str, Any]) -> bool:
        self.turn_id = data.get("turn_id", self.turn_id)
        self.conversation_id = data.get("conversation_id", self.conversation_id)
        if not self.finished:
            self.status = "running"
        self._adopt_blindness(data)
        self._adopt_runs(data.get("runs") or [])
        return True

    def _on_run_started(self, data: Mapping[str, Any]) -> bool:
        pane = self._pane(data)
        if pane is None or pane.finished:
            return False
        pane.status = "running"
        return True

    def _on_delta(self, data: Mapping[str, Any]) -> bool:
        pane = self._pane(data)
        index = data.get("index")
        if pane is None or not isinstance(index, int) or index in pane.chunks:
            return False
        pane.chunks[index] = str(data.get("text") or "")
        pane.steps.stop_thinking()
        if pane.status == "pending":
            pane.status = "running"
        return True

    def _on_reasoning(self, data: Mapping[str, Any]) -> bool:
        pane = self._pane(data)
        return pane is not None and self._running(pane) and pane.steps.on_reasoning(data)

    def _on_tool_call(self, data: Mapping[str, Any]) -> bool:
        pane = self._pane(data)
        return pane is not None and self._running(pane) and pane.steps.on_tool_call(data)

    def _on_tool_result(self, data: Mapping[str, Any]) -> bool:
        pane = self._pane(data)
        return pane is not None and pane.steps.on_tool_result(data)

    def _on_run_done(self, data: Mapping[str, Any]) -> bool:
        pane = self._pane(data)
        if pane is None:
            return False
        pane.status = str(data.get("status") or "done")
        pane.error = data.get("error")
        pane.run = dict(data)
        pane.steps.stop_thinking()
        pane.steps.adopt(data)
        if data.get("output") is not None:
            pane.final_text = str(data["output"])
        return True

    def _on_run_error(self, data: Mapping[str, Any]) -> bool:
        pane = self._pane(data)
        if pane is None:
            return False
        pane.status = str(data.get("status") or "error")
        pane.error = data.get("error")
        pane.run = {**(pane.run or {}), **data}
        pane.steps.stop_thinking()
        return True

    def _on_turn_done(self, data: Mapping[str, Any]) -> bool:
        self.status = str(data.get("status") or "done")
        return True

    # -- helpers --------------------------------------------------------------------

    def _new_pane(self, key: str, agent: str, model: str) -> Pane:
        return Pane(key=key, agent=agent, model=model, steps=RunSteps(self.clock))

    @staticmethod
    def _running(pane: Pane) -> bool:
        if pane.finished:
            return False
        if pane.status == "pending":
            pane.status = "running"
        return True

    def _pane(self, data: Mapping[str, Any]) -> Pane | None:
        run_id = data.get("run_id")
        return self.panes.get(run_id) if isinstance(run_id, str) else None

    def _adopt_blindness(self, data: Mapping[str, Any]) -> None:
        """A blind turn's flag and whether it is revealed (`turn_started`, a turn body)."""
        if data.get("blind") and self.battle is None:
            self.battle = Battle()
        if self.battle is not None and (data.get("revealed") or data.get("revealed_at")):
            self.battle.revealed = True

    def _adopt_runs(self, runs: Iterable[Mapping[str, Any]]) -> None:
        """Key panes by run id, in the backend's run order, keeping what is known."""
        panes: dict[str, Pane] = {}
        for run in runs:
            run_id = str(run["run_id"])
            slot = run.get("slot")
            pane = (
                self.panes.get(run_id)
                or self.panes.get(f"agent:{run.get('agent')}")
                or self.panes.get(f"slot:{slot}")
            )
            if pane is None:
                pane = self._new_pane(run_id, str(run.get("agent") or ""), "")
            pane.key = pane.run_id = run_id
            pane.slot = str(slot) if slot else pane.slot
            pane.agent = str(run.get("agent") or pane.agent)
            pane.provider = str(run.get("provider") or pane.provider)
            pane.model = str(run.get("model") or pane.model)
            panes[run_id] = pane
        if panes:
            self.panes = panes


_HANDLERS = {
    "turn_started": TurnView._on_turn_started,
    "run_started": TurnView._on_run_started,
    "delta": TurnView._on_delta,
    "reasoning": TurnView._on_reasoning,
    "tool_call": TurnView._on_tool_call,
    "tool_result": TurnView._on_tool_result,
    "run_done": TurnView._on_run_done,
    "run_error": TurnView._on_run_error,
    "turn_done": TurnView._on_turn_done,
}


def footer_items(pane: Pane, *, hidden: bool = False) -> list[str]:
    """The footer of a finished pane: status, model, TTFT, latency, tokens, cost
    (`hidden`, a blind pane before the vote: status and timings only)."""
    run = pane.run or {}
    items = [_STATUS_LABELS.get(pane.status, pane.status)]
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

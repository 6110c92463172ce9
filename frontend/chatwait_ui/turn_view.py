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
- Runs added to an ended turn (a regenerate, a fusion: `turn_actions.py`): `add_run()`
  shows the new pane as soon as the backend accepts it, and a `run_started` naming an
  unknown run (with its agent, or only its slot in a blind turn) adds one too; the turn
  reads running again until the next `turn_done`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from chatwait_ui.blind import Battle, planned_slots
from chatwait_ui.pane import TERMINAL_STATUSES, Pane, TurnEvent, footer_items
from chatwait_ui.steps import RunSteps
from chatwait_ui.turn_actions import TurnActions

__all__ = [
    "TERMINAL_STATUSES",
    "Pane",
    "TurnEvent",
    "TurnView",
    "footer_items",
]

Mode = Literal["streaming", "wait"]


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
        self.actions = TurnActions()
        """Regenerate and fuse: their buttons' state."""
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
            pane.adopt_origin(run)
            pane.steps.adopt(run)
            if pane.finished:
                pane.final_text = run.get("output") or ""

    def add_run(
        self,
        run_id: str,
        *,
        agent: str = "",
        model: str = "",
        provider: str = "",
        retry_of: str | None = None,
        fusion: Mapping[str, Any] | None = None,
        after: int | None = None,
    ) -> Pane:
        """A run the backend added to this ended turn (202 of a regenerate or a fusion):
        its pane shows at once, and the turn runs again. `after`: the seq the added run's
        events follow (the stream is read after it)."""
        pane = self.panes.get(run_id)
        if pane is None:
            pane = self._new_pane(run_id, agent, model)
            pane.run_id, pane.provider = run_id, provider
            if self.battle is not None:  # the next slot: C after A and B
                pane.slot = planned_slots(len(self.panes) + 1)[-1]
            self.panes[run_id] = pane
        pane.adopt_origin({"retry_of": retry_of, "fusion": fusion})
        self.status = "running"
        if after is not None:
            self.last_seq = after
        return pane

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
        actions = self.actions.to_props(
            self.panes.values(),
            turn_finished=self.finished and self.turn_id is not None,
            blind=self.battle is not None,
            hidden=hidden,
        )
        return {
            "mode": self.mode,
            "status": self.status,
            "turnId": self.turn_id,
            "notice": self.notice,
            "pendingAgents": pending if not self.finished else [],
            "blind": self.battle is not None,
            "battle": battle,
            "actions": actions,
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
        if pane is None and (data.get("agent") or data.get("slot")):
            pane = self.add_run(str(data["run_id"]))  # added to the turn: a new pane
        if pane is None or pane.finished:
            return False
        pane.agent = str(data.get("agent") or pane.agent)
        pane.provider = str(data.get("provider") or pane.provider)
        pane.model = str(data.get("model") or pane.model)
        pane.slot = str(data["slot"]) if data.get("slot") else pane.slot
        pane.adopt_origin(data)
        pane.status = "running"
        if self.finished:  # a run added after the turn's `turn_done`
            self.status = "running"
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
            # runs added after `turn_started` (a regenerate, a fusion) are not in its list
            kept = {id(p) for p in panes.values()}  # placeholders now named by a run
            added = {k: p for k, p in self.panes.items() if k not in panes and id(p) not in kept}
            added = {k: p for k, p in added.items() if p.run_id == k}
            self.panes = {**panes, **added}


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

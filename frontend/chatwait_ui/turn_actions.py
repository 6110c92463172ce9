"""Regenerate and fuse under an ended turn, as the panes offer them (pure).

`POST /chat/turns/{id}/runs/{run_id}/retry` and `POST /chat/turns/{id}/fuse` add a run to
an ended turn; its events follow on the turn's stream. The panes offer a **Regenerate**
button per answer (not in a blind turn: the backend refuses, a second run of one model
would name its slot) and a **Fuse** bar (an agent, merge or critique) once some answer
ended `done` with text. `TurnView` keeps the state here; `extend.py` does the calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chatwait_ui.pane import Pane

__all__ = ["FUSE_STRATEGIES", "TurnActions"]

FUSE_STRATEGIES: tuple[tuple[str, str], ...] = (
    ("merge", "Fuse (merge)"),
    ("critique", "Fuse (critique)"),
)
"""The fuse buttons: `strategy` as `POST …/fuse` takes it, and its label."""


@dataclass
class TurnActions:
    """A turn's regenerate / fuse state."""

    busy: bool = False
    """A regenerate or fusion was asked for and its run has not ended: buttons wait."""
    notice: str | None = None
    """Why the last one was refused (409, 429, 422), or that its stream was lost."""
    agents: list[str] = field(default_factory=list)
    """The agents the user may fuse with besides the turn's own (the session's)."""

    def to_props(
        self, panes: Iterable[Pane], *, turn_finished: bool, blind: bool, hidden: bool
    ) -> dict[str, Any]:
        """The buttons' props: offered only on an ended turn with nothing in flight."""
        panes = list(panes)
        idle = turn_finished and not self.busy
        fusable = any(p.status == "done" and p.text and p.fusion is None for p in panes)
        # a blind turn before the vote names no agent anywhere: its fusion takes the
        # user's first chosen agent (`extend.handle_fuse`)
        named = [p.agent for p in panes if p.agent and p.fusion is None]
        return {
            "regenerate": idle and not blind,
            "fuse": idle and fusable,
            "fuseAgents": [] if hidden else _unique([*named, *self.agents]),
            "strategies": [{"strategy": s, "label": label} for s, label in FUSE_STRATEGIES],
            "busy": self.busy,
            "notice": self.notice,
        }


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))

"""Blind battles as the panes show them: slot labels, the vote buttons, the vote's answer.

Pure (no Chainlit, no I/O). A blind turn (`"blind": true`) names its runs by slot (A, B, …)
and withholds agent, provider, model, tokens and cost until the user votes or reveals it;
`TurnView` keeps that state in a `Battle` and asks here what to show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "HIDDEN_NOTE",
    "Battle",
    "planned_slots",
    "vote_notice",
    "vote_options",
]

HIDDEN_NOTE = "model, tokens and cost after the vote"
"""The footer item that stands for what a blind pane withholds."""


def planned_slots(count: int) -> list[str]:
    """The labels the panes show before the backend confirms the runs: A, B, …"""
    return [chr(ord("A") + i) for i in range(count)]


def vote_options(slots: Sequence[str]) -> list[dict[str, str]]:
    """The vote buttons: `{winner, label}`, `winner` as `POST …/vote` takes it.

    Two slots: "A is better", "B is better", "Tie", "Both are bad"; more: one "best"
    button per slot, then tie and both bad.
    """
    if len(slots) == 2:
        picks = [{"winner": s, "label": f"{s} is better"} for s in slots]
    else:
        picks = [{"winner": s, "label": f"{s} is best"} for s in slots]
    return [
        *picks,
        {"winner": "tie", "label": "Tie"},
        {"winner": "both_bad", "label": "Both are bad"},
    ]


def vote_notice(result: Mapping[str, Any]) -> str:
    """What the user reads once the vote is stored (`VoteResult`), counted or not."""
    kind = str(result.get("kind") or "")
    if kind == "tie":
        what = "a tie"
    elif kind == "ranking":
        what = "your ranking"
    elif kind == "both_bad":
        what = "both bad"
    else:
        what = "your pick"
    if result.get("counted"):
        return f"Vote recorded ({what}); it counts on the leaderboard."
    reason = str(result.get("reason") or "")
    return f"Vote recorded ({what}), but this battle does not count: {reason or 'not counted'}."


@dataclass
class Battle:
    """A blind turn's vote state."""

    revealed: bool = False
    """Named (voted on or revealed): the panes show agent, model, tokens and cost."""
    voted: bool = False
    notice: str | None = None
    """The vote's answer, or why the vote failed."""
    busy: bool = False
    """A vote or reveal is on its way: the buttons wait."""

    def adopt(self, turn: Mapping[str, Any]) -> None:
        """Read `revealed_at` from a turn body (a turn voted on earlier reads revealed)."""
        if turn.get("revealed_at"):
            self.revealed = True

    def to_props(self, slots: Sequence[str], *, turn_finished: bool) -> dict[str, Any]:
        """The vote bar's props: buttons only while a vote can still be cast; with more
        than two slots (a fusion added C), `ranking`: the slots to rank, best first."""
        open_ = turn_finished and not self.revealed and not self.voted
        return {
            "revealed": self.revealed,
            "voted": self.voted,
            "canVote": open_ and not self.busy and len(slots) >= 2,
            "options": vote_options(slots) if open_ else [],
            "ranking": list(slots) if open_ and len(slots) > 2 else [],
            "notice": self.notice,
            "busy": self.busy,
        }

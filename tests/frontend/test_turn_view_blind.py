"""Blind turns in the panes: slots instead of names, nothing that identifies a model
before the vote, the vote buttons while a vote can be cast, names after the reveal."""

from __future__ import annotations

import json
from typing import Any

from chatwait_ui.blind import HIDDEN_NOTE, vote_notice, vote_options
from chatwait_ui.turn_view import TurnEvent, TurnView

RUN_1, RUN_2 = "run-1", "run-2"
SECRET_WORDS = ("offline-2", "sim-model", "0.00042", "123 in")


def blind_script() -> list[TurnEvent]:
    """A blind two-slot turn as the backend streams it (specs/sse.md, blind turns)."""
    raw: list[tuple[str, dict[str, Any]]] = [
        (
            "turn_started",
            {
                "turn_id": "turn-b",
                "conversation_id": "conv-b",
                "blind": True,
                "runs": [{"run_id": RUN_2, "slot": "A"}, {"run_id": RUN_1, "slot": "B"}],
            },
        ),
        ("run_started", {"run_id": RUN_2, "slot": "A"}),
        ("run_started", {"run_id": RUN_1, "slot": "B"}),
        ("delta", {"run_id": RUN_2, "slot": "A", "index": 0, "text": "Answer "}),
        ("delta", {"run_id": RUN_1, "slot": "B", "index": 0, "text": "Other "}),
        ("delta", {"run_id": RUN_2, "slot": "A", "index": 1, "text": "one."}),
        ("delta", {"run_id": RUN_1, "slot": "B", "index": 1, "text": "two."}),
        (
            "run_done",
            {
                "run_id": RUN_2,
                "slot": "A",
                "status": "done",
                "error": None,
                "latency_ms": 900,
                "ttft_ms": 80,
            },
        ),
        (
            "run_done",
            {
                "run_id": RUN_1,
                "slot": "B",
                "status": "done",
                "error": None,
                "latency_ms": 1500,
                "ttft_ms": 200,
            },
        ),
        ("turn_done", {"turn_id": "turn-b", "status": "done"}),
    ]
    return [TurnEvent(seq, kind, data) for seq, (kind, data) in enumerate(raw, start=1)]


def revealed_turn() -> dict[str, Any]:
    """`GET /chat/turns/{id}` after the vote: every run named, in slot order."""

    def run(run_id: str, slot: str, agent: str, output: str) -> dict[str, Any]:
        return {
            "run_id": run_id,
            "slot": slot,
            "agent": agent,
            "provider": "offline",
            "model": "sim-model",
            "status": "done",
            "output": output,
            "error": None,
            "usage": {"input_tokens": 123, "output_tokens": 4},
            "cost_usd": 0.00042,
            "latency_ms": 900,
            "ttft_ms": 80,
            "attempts": 1,
        }

    return {
        "turn_id": "turn-b",
        "conversation_id": "conv-b",
        "status": "done",
        "message": "hi",
        "blind": True,
        "revealed_at": "2026-12-02T01:00:00Z",
        "runs": [
            run(RUN_2, "A", "offline-2", "Answer one."),
            run(RUN_1, "B", "offline", "Other two."),
        ],
    }


def streamed_blind(planned: int = 2) -> TurnView:
    view = TurnView(
        "streaming", planned=[("offline", "m"), ("offline-2", "m")][:planned], blind=True
    )
    for event in blind_script():
        view.apply(event)
    return view


def test_blind_panes_are_planned_by_slot_and_never_name_the_chosen_agents() -> None:
    view = TurnView("streaming", planned=[("offline", "m-1"), ("offline-2", "m-2")], blind=True)
    props = view.to_props()
    assert [p["agent"] for p in props["panes"]] == ["A", "B"]
    assert props["pendingAgents"] == ["A", "B"]
    assert "offline" not in json.dumps(props)
    assert props["blind"] is True
    assert props["battle"]["options"] == []  # nothing to vote on yet


def test_streamed_blind_turn_shows_slots_text_and_timings_but_no_identity() -> None:
    props = streamed_blind().to_props()
    panes = props["panes"]
    assert [(p["key"], p["agent"], p["slot"]) for p in panes] == [
        (RUN_2, "A", "A"),
        (RUN_1, "B", "B"),
    ]
    assert [p["text"] for p in panes] == ["Answer one.", "Other two."]
    assert all(p["model"] == "" and p["provider"] == "" and p["hidden"] for p in panes)
    assert panes[0]["footer"] == ["Done", "TTFT 80 ms", "latency 900 ms", HIDDEN_NOTE]


def test_a_finished_blind_turn_offers_one_vote_with_four_choices() -> None:
    battle = streamed_blind().to_props()["battle"]
    assert battle["canVote"] is True
    assert [o["winner"] for o in battle["options"]] == ["A", "B", "tie", "both_bad"]
    assert [o["label"] for o in battle["options"]] == [
        "A is better",
        "B is better",
        "Tie",
        "Both are bad",
    ]


def test_three_slots_get_one_best_button_each() -> None:
    assert [o["label"] for o in vote_options(["A", "B", "C"])] == [
        "A is best",
        "B is best",
        "C is best",
        "Tie",
        "Both are bad",
    ]


def test_the_vote_reveals_names_and_metadata_and_closes_the_vote() -> None:
    view = streamed_blind()
    assert view.battle is not None
    view.battle.voted = True
    view.apply_turn(revealed_turn())
    props = view.to_props()
    panes = props["panes"]
    assert [(p["agent"], p["slot"], p["hidden"]) for p in panes] == [
        ("offline-2", "A", False),
        ("offline", "B", False),
    ]
    assert panes[0]["model"] == "sim-model"
    assert "$0.000420" in panes[0]["footer"] and "123 in · 4 out tokens" in panes[0]["footer"]
    assert props["battle"]["canVote"] is False and props["battle"]["options"] == []
    assert props["battle"]["revealed"] is True


def test_a_blind_turn_read_back_unrevealed_from_history_stays_blind() -> None:
    body = revealed_turn()
    body["revealed_at"] = None
    body["runs"] = [
        {"run_id": r["run_id"], "slot": r["slot"], "status": "done", "output": r["output"]}
        for r in body["runs"]
    ]
    view = TurnView(None)
    view.apply_turn(body)
    props = view.to_props()
    assert props["blind"] is True and props["battle"]["canVote"] is True
    assert [p["agent"] for p in props["panes"]] == ["A", "B"]
    for word in SECRET_WORDS:
        assert word not in json.dumps(props)


def test_a_revealed_replay_names_the_runs() -> None:
    view = TurnView("streaming", blind=True)
    started = {
        "turn_id": "t",
        "blind": True,
        "revealed": True,
        "runs": [{"run_id": RUN_1, "slot": "A", "agent": "offline", "model": "m", "provider": "p"}],
    }
    view.apply(TurnEvent(1, "turn_started", started))
    assert view.to_props()["panes"][0]["agent"] == "offline"


def test_a_non_blind_turn_has_no_battle() -> None:
    view = TurnView("streaming", planned=[("offline", "m")])
    assert view.to_props()["battle"] is None and view.to_props()["blind"] is False


def test_the_vote_notice_says_when_a_battle_does_not_count() -> None:
    assert "counts on the leaderboard" in vote_notice({"kind": "winner", "counted": True})
    not_counted = vote_notice({"kind": "tie", "counted": False, "reason": "slot B errored"})
    assert "does not count: slot B errored" in not_counted and "a tie" in not_counted

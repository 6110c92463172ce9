"""Regenerate and fuse in the panes: an added run shows as a new pane, the buttons are
offered only on an ended turn, a fused blind turn is ranked in full. The last tests run
them against the real backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatwait_ui.api import ApiClient, ApiError
from chatwait_ui.blind import vote_notice
from chatwait_ui.stream import follow_to_end, follow_turn
from chatwait_ui.turn_view import TurnEvent, TurnView
from tests.support.app import running_app

AGENTS = ["offline", "offline-2"]


def events(start: int, *raw: tuple[str, dict[str, Any]]) -> list[TurnEvent]:
    return [TurnEvent(seq, kind, data) for seq, (kind, data) in enumerate(raw, start=start)]


def ended_turn(*, blind: bool = False) -> TurnView:
    """A two-run turn that has ended (seq 1..6)."""
    view = TurnView("streaming", blind=blind)
    runs = [{"run_id": "r1", "agent": "offline"}, {"run_id": "r2", "agent": "offline-2"}]
    if blind:
        runs = [{"run_id": "r1", "slot": "A"}, {"run_id": "r2", "slot": "B"}]
    script = events(
        1,
        ("turn_started", {"turn_id": "t", "conversation_id": "c", "blind": blind, "runs": runs}),
        ("delta", {"run_id": "r1", "index": 0, "text": "one"}),
        ("delta", {"run_id": "r2", "index": 0, "text": "two"}),
        ("run_done", {"run_id": "r1", "status": "done"}),
        ("run_done", {"run_id": "r2", "status": "done"}),
        ("turn_done", {"turn_id": "t", "status": "done"}),
    )
    for event in script:
        view.apply(event)
    return view


def test_an_added_runs_events_add_a_pane_and_the_turn_runs_until_the_next_turn_done() -> None:
    view = ended_turn()
    assert view.to_props()["actions"]["regenerate"] is True
    started = {"run_id": "r3", "agent": "offline", "model": "offline-1", "retry_of": "r1"}
    script = events(
        7,
        ("run_started", started),
        ("delta", {"run_id": "r3", "index": 0, "text": "again"}),
        ("run_done", {"run_id": "r3", "status": "done", "retry_of": "r1"}),
        ("turn_done", {"turn_id": "t", "status": "done"}),
    )
    assert view.apply(script[0])
    props = view.to_props()
    assert props["status"] == "running"
    assert props["actions"]["regenerate"] is props["actions"]["fuse"] is False
    assert [p["key"] for p in props["panes"]] == ["r1", "r2", "r3"]
    for event in script[1:]:
        view.apply(event)
    added = view.to_props()["panes"][2]
    assert (added["agent"], added["model"], added["text"]) == ("offline", "offline-1", "again")
    assert added["badge"] == "Regenerated" and added["retryOf"] == "r1"
    assert view.status == "done" and [p.text for p in view.panes.values()] == [
        "one",
        "two",
        "again",
    ]


def test_planned_panes_become_the_started_runs_once_each() -> None:
    view = TurnView("streaming", planned=[("offline", "m"), ("offline-2", "m")])
    runs = [{"run_id": "r1", "agent": "offline"}, {"run_id": "r2", "agent": "offline-2"}]
    view.apply(TurnEvent(1, "turn_started", {"turn_id": "t", "runs": runs}))
    assert list(view.panes) == ["r1", "r2"]
    view.apply_turn({"turn_id": "t", "status": "done", "runs": runs})
    assert list(view.panes) == ["r1", "r2"]


def test_add_run_shows_the_pane_at_once_and_reads_only_what_follows_after() -> None:
    view = ended_turn()
    view.add_run("r3", agent="offline-2", fusion={"strategy": "merge"}, after=6)
    props = view.to_props()
    assert props["panes"][2]["badge"] == "Fusion · merge"
    assert props["panes"][2]["status"] == "pending" and props["status"] == "running"
    assert not view.apply(TurnEvent(6, "turn_done", {"status": "done"}))  # the first turn_done
    assert view.apply(TurnEvent(7, "run_started", {"run_id": "r3", "agent": "offline-2"}))
    assert len(view.panes) == 3


def test_the_buttons_are_offered_only_on_an_ended_turn_with_an_answer() -> None:
    view = ended_turn()
    view.actions.agents = ["offline-2", "gemini"]
    actions = view.to_props()["actions"]
    assert actions["fuse"] is True
    assert actions["fuseAgents"] == ["offline", "offline-2", "gemini"]  # the turn's first
    assert [s["strategy"] for s in actions["strategies"]] == ["merge", "critique"]
    view.actions.busy = True
    assert view.to_props()["actions"]["fuse"] is False
    view.actions.busy, view.actions.notice = False, "turn t is still running"
    assert view.to_props()["actions"]["notice"] == "turn t is still running"

    failed = TurnView("streaming")
    failed.apply_turn(
        {
            "turn_id": "t",
            "status": "done",
            "runs": [{"run_id": "r1", "agent": "a", "status": "error", "output": ""}],
        }
    )
    assert failed.to_props()["actions"]["fuse"] is False  # nothing to fuse
    assert failed.to_props()["actions"]["regenerate"] is True


def test_a_fused_blind_slot_stays_hidden_and_the_vote_ranks_every_slot() -> None:
    view = ended_turn(blind=True)
    view.actions.agents = ["offline", "offline-2"]
    actions = view.to_props()["actions"]
    assert actions["regenerate"] is False and actions["fuse"] is True
    assert actions["fuseAgents"] == []  # no agent named on a blind turn before the vote
    assert view.to_props()["battle"]["ranking"] == []  # two slots: the winner buttons
    fusion = {"strategy": "merge", "sources": ["r2", "r1"], "prompt": None}
    for event in events(
        7,
        ("run_started", {"run_id": "r3", "slot": "C", "fusion": fusion}),
        ("delta", {"run_id": "r3", "index": 0, "text": "fused"}),
        ("run_done", {"run_id": "r3", "slot": "C", "status": "done", "fusion": fusion}),
        ("turn_done", {"turn_id": "t", "status": "done"}),
    ):
        view.apply(event)
    props = view.to_props()
    fused = props["panes"][2]
    assert (fused["agent"], fused["hidden"], fused["badge"]) == ("C", True, "Fusion · merge")
    assert "offline" not in json.dumps(props)
    assert props["battle"]["ranking"] == ["A", "B", "C"]


def test_a_ranking_vote_says_so() -> None:
    assert vote_notice({"kind": "ranking", "counted": True}).startswith(
        "Vote recorded (your ranking)"
    )


# -- against the real backend ------------------------------------------------------------


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory: Path = tmp_path_factory.mktemp("turn-actions-app")
    with running_app(directory, SIM_TOKENS_PER_SECOND=40.0, SIM_ANSWER_TOKENS=8) as (url, _):
        yield url


async def finished_view(api: ApiClient, body: dict[str, Any]) -> TurnView:
    view = TurnView("streaming")
    async for _ in follow_turn(api, view, body=body):
        pass
    return view


async def test_a_regenerated_run_streams_into_the_view_of_its_turn(app_url: str) -> None:
    api = ApiClient(app_url)
    try:
        view = await finished_view(api, {"message": "regenerate me", "agents": AGENTS})
        first = next(iter(view.panes))
        started = await api.retry(str(view.turn_id), first)
        view.add_run(started["run_id"], retry_of=first, after=started["after"])
        with pytest.raises(ApiError) as refused:  # the turn runs again: one at a time
            await api.retry(str(view.turn_id), first)
        assert refused.value.status == 409 and refused.value.code == "turn_running"
        async for _ in follow_turn(api, view):
            pass
        stored = await api.turn(str(view.turn_id))
        assert view.status == stored["status"] == "done"
        assert {r["run_id"]: r["output"] for r in stored["runs"]} == {
            key: pane.text for key, pane in view.panes.items()
        }
        assert view.panes[started["run_id"]].agent == "offline"
    finally:
        await api.aclose()


async def test_a_fused_blind_turn_is_ranked_in_full(app_url: str) -> None:
    api = ApiClient(app_url)
    try:
        body = {"message": "blind fusion", "agents": AGENTS, "blind": True}
        view = await finished_view(api, body)
        started = await api.fuse(str(view.turn_id), agent="offline", strategy="merge")
        view.add_run(started["run_id"], fusion=started["fusion"], after=started["after"])
        async for _ in follow_turn(api, view):
            pass
        assert view.to_props()["battle"]["ranking"] == ["A", "B", "C"]
        result = await api.vote(str(view.turn_id), ranking=["C", "A", "B"])
        assert result["kind"] == "ranking" and result["battles"] == 3
        view.apply_turn(result["turn"])
        assert not view.hidden and view.panes[started["run_id"]].slot == "C"
    finally:
        await api.aclose()


async def test_a_turn_read_from_the_start_is_followed_past_its_added_runs(app_url: str) -> None:
    """A stream ends at a `turn_done`: a reader from the start (a reopened thread) goes on
    to the added run's stream while the turn reads running."""
    api = ApiClient(app_url)
    try:
        first = await finished_view(api, {"message": "read me whole", "agents": AGENTS})
        started = await api.fuse(str(first.turn_id), agent="offline-2", strategy="critique")
        late = TurnView("streaming")
        late.turn_id = first.turn_id
        late.apply_turn(await api.turn(str(first.turn_id)))  # as a reopened thread does
        assert late.status == "running" and len(late.panes) == 3
        changes: list[int] = []
        await follow_to_end(api, late, on_event=lambda: changes.append(late.last_seq))
        stored = await api.turn(str(first.turn_id))
        assert late.status == stored["status"] == "done"
        assert changes and late.last_seq > started["after"]
        assert list(late.panes) == [run["run_id"] for run in stored["runs"]]
        assert {k: p.text for k, p in late.panes.items()} == {
            run["run_id"]: run["output"] for run in stored["runs"]
        }
        assert all(pane.text for pane in late.panes.values())
    finally:
        await api.aclose()

"""Blind turns, votes and reveals over real HTTP, in both modes (SQLite, or Postgres with
CHATWAIT_TEST_POSTGRES_URL)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.compare.conftest import ThirdAgentRig
from tests.support.sse import Event, read_stream, texts_by_run

AGENTS = ["offline", "offline-2"]
BLIND = {"message": "Which is better?", "agents": AGENTS, "blind": True}
IDENTITY = ("agent", "provider", "model", "usage", "cost_usd")


@pytest.fixture(scope="module")
def client(third_agent: ThirdAgentRig) -> httpx.Client:
    """A server with a third agent (`third`) for rankings."""
    return third_agent.client


def _named(payload: Any) -> list[str]:
    """Keys anywhere in `payload` that would name or price a model."""
    found = []
    if isinstance(payload, dict):
        found += [key for key in payload if key in IDENTITY]
        for value in payload.values():
            found += _named(value)
    elif isinstance(payload, list):
        for value in payload:
            found += _named(value)
    return found


def _assert_blind_events(events: list[Event]) -> dict[str, str]:
    """Every event hides identity; returns run id → slot."""
    started = events[0]
    assert started.type == "turn_started" and started.data["blind"] is True
    slots = {run["run_id"]: run["slot"] for run in started.data["runs"]}
    assert [run["slot"] for run in started.data["runs"]] == ["A", "B"]
    for event in events:
        assert _named(event.data) == [], (event.type, event.data)
        if event.type == "delta":
            assert event.data["slot"] == slots[event.data["run_id"]]
        if event.type in ("run_done", "run_error"):
            assert event.data["slot"] == slots[event.data["run_id"]]
            assert event.data["latency_ms"] is not None
    assert events[-1].type == "turn_done"
    return slots


def _assert_blind_record(body: dict[str, Any]) -> None:
    assert body["blind"] is True and body["revealed_at"] is None
    assert [run["slot"] for run in body["runs"]] == ["A", "B"]
    assert _named(body["runs"]) == []


def test_a_blind_stream_hides_identity_in_every_event_resume_and_replay(
    client: httpx.Client,
) -> None:
    events = read_stream(client, "POST", "/chat/streaming", json_body=BLIND)
    slots = _assert_blind_events(events)
    turn_id = events[0].data["turn_id"]
    assert all(texts_by_run(events)[run] for run in slots)
    replay = read_stream(client, "GET", f"/chat/streaming/{turn_id}")
    assert [(e.seq, e.type, e.data) for e in replay] == [(e.seq, e.type, e.data) for e in events]
    resumed = read_stream(
        client, "GET", f"/chat/streaming/{turn_id}", headers={"Last-Event-ID": "3"}
    )
    assert [e.seq for e in resumed] == [e.seq for e in events[3:]]
    _assert_blind_record(client.get(f"/chat/turns/{turn_id}").json())
    history = client.get(f"/conversations/{events[0].data['conversation_id']}").json()
    _assert_blind_record(history["turns"][0])


def test_a_blind_wait_answer_carries_slots_and_withholds_cost_and_tokens(
    client: httpx.Client,
) -> None:
    body = client.post("/chat/wait", json=BLIND).json()
    _assert_blind_record(body)
    assert all(run["output"] and run["status"] == "done" for run in body["runs"])


def test_the_vote_reveals_names_everywhere_and_counts_once(client: httpx.Client) -> None:
    turn = client.post("/chat/wait", json=BLIND).json()
    turn_id = turn["turn_id"]
    winner = turn["runs"][1]
    response = client.post(f"/chat/turns/{turn_id}/vote", json={"winner": "b"})
    assert response.status_code == 200, response.text
    vote = response.json()
    assert vote["kind"] == "winner" and vote["winner_run_id"] == winner["run_id"]
    assert vote["counted"] is True and vote["reason"] is None and vote["battles"] == 1
    assert vote["blind"] is True and vote["time_to_vote_ms"] >= 0
    revealed = client.get(f"/chat/turns/{turn_id}").json()
    assert revealed["revealed_at"] is not None
    assert {run["agent"] for run in revealed["runs"]} == set(AGENTS)
    assert revealed == vote["turn"]
    replay = read_stream(client, "GET", f"/chat/streaming/{turn_id}")
    named = {run["run_id"]: run["agent"] for run in replay[0].data["runs"]}
    assert set(named.values()) == set(AGENTS)
    done = [e for e in replay if e.type == "run_done"]
    assert all("usage" in e.data and "model" in e.data for e in done)
    again = client.post(f"/chat/turns/{turn_id}/vote", json={"winner": "tie"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_voted"


def test_reveal_forfeits_the_vote(client: httpx.Client) -> None:
    turn_id = client.post("/chat/wait", json=BLIND).json()["turn_id"]
    revealed = client.post(f"/chat/turns/{turn_id}/reveal")
    assert revealed.status_code == 200
    assert {run["model"] for run in revealed.json()["runs"]} == {"offline-1", "offline-2"}
    vote = client.post(f"/chat/turns/{turn_id}/vote", json={"winner": "A"})
    assert vote.status_code == 409 and vote.json()["error"]["code"] == "vote_forfeited"


def test_an_errored_slot_makes_the_battle_not_count_and_says_so(client: httpx.Client) -> None:
    body = {**BLIND, "models": {"offline-2": "fault-401"}}
    turn = client.post("/chat/wait", json=body).json()
    vote = client.post(f"/chat/turns/{turn['turn_id']}/vote", json={"winner": "tie"}).json()
    assert vote["counted"] is False
    assert "ended error" in vote["reason"] and "does not count" in vote["reason"]


def test_a_ranking_of_three_is_stored_as_three_battles(client: httpx.Client) -> None:
    body = {**BLIND, "agents": ["offline", "offline-2", "third"]}
    response = client.post("/chat/wait", json=body)
    assert response.status_code == 200, response.text
    turn = response.json()
    assert [run["slot"] for run in turn["runs"]] == ["A", "B", "C"]
    ranking = ["C", "A", "B"]
    vote = client.post(f"/chat/turns/{turn['turn_id']}/vote", json={"ranking": ranking}).json()
    assert vote["kind"] == "ranking" and vote["battles"] == 3
    by_slot = {run["slot"]: run["run_id"] for run in turn["runs"]}
    assert vote["ranking"] == [by_slot[s] for s in ranking]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"winner": "Z"}, 422),
        ({"winner": "A", "ranking": ["A", "B"]}, 422),
        ({}, 422),
        ({"ranking": ["A", "A"]}, 422),
        ({"winner": "A", "extra": 1}, 422),
    ],
)
def test_bad_votes_are_refused_with_a_json_error(
    client: httpx.Client, body: dict[str, Any], code: int
) -> None:
    turn_id = client.post("/chat/wait", json=BLIND).json()["turn_id"]
    response = client.post(f"/chat/turns/{turn_id}/vote", json=body)
    assert response.status_code == code and "error" in response.json()
    assert client.get(f"/chat/turns/{turn_id}").json()["revealed_at"] is None


def test_a_vote_on_a_running_turn_is_a_409(client: httpx.Client) -> None:
    hang = {**BLIND, "models": {"offline-2": "fault-hang"}}
    events = read_stream(client, "POST", "/chat/streaming", json_body=hang, limit=1)
    turn_id = events[0].data["turn_id"]
    try:
        response = client.post(f"/chat/turns/{turn_id}/vote", json={"winner": "A"})
        assert response.status_code == 409 and response.json()["error"]["code"] == "turn_running"
        assert client.post(f"/chat/turns/{turn_id}/reveal").status_code == 409
    finally:
        client.post(f"/chat/turns/{turn_id}/cancel")


def test_blind_needs_two_agents(client: httpx.Client) -> None:
    response = client.post("/chat/wait", json={**BLIND, "agents": ["offline"]})
    assert response.status_code == 422 and "blind" in response.json()["error"]["message"]


def test_a_non_blind_turn_can_be_voted_on_and_is_not_revealable(client: httpx.Client) -> None:
    turn = client.post("/chat/wait", json={"message": "open", "agents": AGENTS}).json()
    assert turn["blind"] is False and turn["runs"][0]["agent"] == "offline"
    assert client.post(f"/chat/turns/{turn['turn_id']}/reveal").status_code == 409
    vote = client.post(
        f"/chat/turns/{turn['turn_id']}/vote", json={"winner": turn["runs"][0]["run_id"]}
    ).json()
    assert vote["blind"] is False and vote["counted"] is True


def test_slots_follow_a_seeded_random_order(client: httpx.Client) -> None:
    orders = set()
    for _ in range(12):
        turn = client.post("/chat/wait", json=BLIND).json()
        client.post(f"/chat/turns/{turn['turn_id']}/reveal")
        revealed = client.get(f"/chat/turns/{turn['turn_id']}").json()
        orders.add(tuple(run["agent"] for run in revealed["runs"]))
    assert orders == {("offline", "offline-2"), ("offline-2", "offline")}


def test_idempotent_blind_start_attaches_to_the_same_blind_turn(client: httpx.Client) -> None:
    headers = {"Idempotency-Key": "blind-key-1"}
    first = client.post("/chat/wait", json=BLIND, headers=headers).json()
    second = client.post("/chat/wait", json=BLIND, headers=headers).json()
    assert first["turn_id"] == second["turn_id"]
    open_body = {k: v for k, v in BLIND.items() if k != "blind"}
    reused = client.post("/chat/wait", json=open_body, headers=headers)
    assert reused.status_code == 422
    assert json.dumps(second).count('"slot"') == 2

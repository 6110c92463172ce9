"""Fusion over real HTTP: `POST /chat/turns/{id}/fuse` adds a run that reads the other
runs' answers, shuffled and without names, streams after the first `turn_done`, is stored
with its sources, costs only its own call, and never touches the runs it read.

The fusing agent `third` is a compatible provider on a separate offline provider, whose
`/v1/debug/requests` shows digests of what the fused run's request carried.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from chatwait.turns.fusion import fusion_prompt
from chatwait.turns.records import FusionInfo
from tests.compare.conftest import ThirdAgentRig
from tests.support.sse import Event, read_stream, texts_by_run

AGENTS = ["offline", "offline-2"]


@pytest.fixture(scope="module")
def rig(third_agent: ThirdAgentRig) -> tuple[httpx.Client, str]:
    """(a client of the server, the base URL of the provider `third` runs on)."""
    return third_agent.client, third_agent.sim_v1


def _tail(client: httpx.Client, turn_id: str, after: int) -> list[Event]:
    return read_stream(
        client, "GET", f"/chat/streaming/{turn_id}", headers={"Last-Event-ID": str(after)}
    )


def _turn(client: httpx.Client, turn_id: str) -> dict[str, Any]:
    response = client.get(f"/chat/turns/{turn_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_fusion_reads_the_answers_anonymised_and_streams_after_turn_done(
    rig: tuple[httpx.Client, str],
) -> None:
    client, sim_v1 = rig
    message = "Which is better, tea or coffee?"
    first = read_stream(
        client, "POST", "/chat/streaming", json_body={"message": message, "agents": AGENTS}
    )
    turn_id = first[0].data["turn_id"]
    before = _turn(client, turn_id)
    usage_before = client.get("/me/usage").json()["today"]["tokens"]
    seen_before = len(httpx.get(f"{sim_v1}/debug/requests").json()["requests"])

    response = client.post(f"/chat/turns/{turn_id}/fuse", json={"agent": "third"})
    assert response.status_code == 202, response.text
    started = response.json()
    sources = started["fusion"]["sources"]
    assert sorted(sources) == sorted(run["run_id"] for run in before["runs"])
    assert started["fusion"]["strategy"] == "merge" and started["after"] == first[-1].seq

    tail = _tail(client, turn_id, first[-1].seq)
    assert [e.seq for e in tail] == list(range(first[-1].seq + 1, first[-1].seq + 1 + len(tail)))
    assert tail[0].type == "run_started" and tail[0].data["run_id"] == started["run_id"]
    assert tail[0].data["agent"] == "third" and tail[0].data["fusion"] == started["fusion"]
    assert [e.type for e in tail][-2:] == ["run_done", "turn_done"]

    after = _turn(client, turn_id)
    assert after["status"] == "done" and after["runs"][:2] == before["runs"], "sources untouched"
    fused = after["runs"][2]
    assert fused["fusion"] == started["fusion"] and fused["status"] == "done"
    assert fused["output"] and fused["output"] == texts_by_run(tail)[fused["run_id"]]

    outputs = {run["run_id"]: run["output"] for run in before["runs"]}
    expected = fusion_prompt(
        FusionInfo(strategy="merge", sources=sources), [outputs[s] for s in sources]
    )
    assert "offline" not in expected.replace("offline provider", ""), "no agent is named"
    [request] = httpx.get(f"{sim_v1}/debug/requests").json()["requests"][seen_before:]
    contents = [(m["role"], m["content_sha256"]) for m in request["messages"]]
    assert ("system", _sha(expected)) in contents, "the answers, in the stored order"
    assert contents[-1] == ("user", _sha(message))

    again = client.post(f"/chat/turns/{turn_id}/runs/{fused['run_id']}/retry")
    assert again.status_code == 409 and again.json()["error"]["code"] == "fused_run"

    spent = client.get("/me/usage").json()["today"]["tokens"] - usage_before
    assert spent == fused["usage"]["input_tokens"] + fused["usage"]["output_tokens"] > 0, (
        "the fusion costs its own call, nothing of the runs it read again"
    )


def test_a_failing_fusion_leaves_the_runs_it_read_untouched(
    rig: tuple[httpx.Client, str],
) -> None:
    client, _ = rig
    first = client.post("/chat/wait", json={"message": "fail later", "agents": AGENTS}).json()
    turn_id = first["turn_id"]
    before = _turn(client, turn_id)
    body = {"agent": "offline", "model": "fault-500", "strategy": "critique"}
    started = client.post(f"/chat/turns/{turn_id}/fuse", json=body)
    assert started.status_code == 202, started.text
    tail = _tail(client, turn_id, started.json()["after"])
    assert [e.type for e in tail][-2:] == ["run_error", "turn_done"]
    after = _turn(client, turn_id)
    assert after["runs"][:2] == before["runs"] and after["runs"][2]["status"] == "error"
    again = client.post(f"/chat/turns/{turn_id}/fuse", json={"agent": "offline-2"})
    assert again.status_code == 202, "a failed fusion leaves the turn fusable"
    _tail(client, turn_id, again.json()["after"])
    final = _turn(client, turn_id)
    assert final["runs"][3]["status"] == "done"
    assert sorted(final["runs"][3]["fusion"]["sources"]) == sorted(
        run["run_id"] for run in before["runs"]
    ), "a failed run and earlier fusions are not sources"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"agent": "offline", "strategy": "custom"}, 422, None),
        ({"agent": "offline", "strategy": "merge", "prompt": "be brief"}, 422, None),
        ({"agent": "offline", "strategy": "vote"}, 422, None),
        ({"agent": "no-such-agent"}, 422, "unknown_agent"),
        ({"strategy": "merge"}, 422, None),
    ],
)
def test_a_bad_fusion_request_is_refused_and_adds_nothing(
    rig: tuple[httpx.Client, str], body: dict[str, Any], status: int, code: str | None
) -> None:
    client, _ = rig
    turn = client.post("/chat/wait", json={"message": "bad fuse", "agents": AGENTS}).json()
    response = client.post(f"/chat/turns/{turn['turn_id']}/fuse", json=body)
    assert response.status_code == status, response.text
    assert "error" in response.json()
    if code is not None:
        assert response.json()["error"]["code"] == code
    assert len(_turn(client, turn["turn_id"])["runs"]) == 2


def test_fusion_refuses_a_missing_turn_a_running_one_and_one_with_nothing_to_fuse(
    rig: tuple[httpx.Client, str],
) -> None:
    client, _ = rig
    missing = client.post(
        "/chat/turns/00000000-0000-4000-8000-000000000000/fuse", json={"agent": "offline"}
    )
    assert missing.status_code == 404
    failed = client.post(
        "/chat/wait",
        json={"message": "x", "agents": ["offline"], "models": {"offline": "fault-500"}},
    ).json()
    nothing = client.post(f"/chat/turns/{failed['turn_id']}/fuse", json={"agent": "offline"})
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "nothing_to_fuse"
    hang = {"message": "h", "agents": ["offline"], "models": {"offline": "fault-hang"}}
    live = read_stream(client, "POST", "/chat/streaming", json_body=hang, limit=1)
    turn_id = live[0].data["turn_id"]
    try:
        running = client.post(f"/chat/turns/{turn_id}/fuse", json={"agent": "offline"})
        assert running.status_code == 409 and running.json()["error"]["code"] == "turn_running"
    finally:
        client.post(f"/chat/turns/{turn_id}/cancel")


def test_a_fused_answer_enters_a_blind_battle_under_the_next_slot(
    rig: tuple[httpx.Client, str],
) -> None:
    client, _ = rig
    blind = client.post(
        "/chat/wait", json={"message": "blind fuse", "agents": AGENTS, "blind": True}
    ).json()
    turn_id = blind["turn_id"]
    started = client.post(f"/chat/turns/{turn_id}/fuse", json={"agent": "third"})
    assert started.status_code == 202, started.text
    tail = _tail(client, turn_id, started.json()["after"])
    run_started = tail[0].data
    assert run_started["slot"] == "C"
    assert not {"agent", "provider", "model"} & set(run_started), "the fusion stays blind"
    done = next(e for e in tail if e.type == "run_done").data
    assert not {"agent", "model", "usage", "cost_usd"} & set(done)
    turn = _turn(client, turn_id)
    assert sorted(run["slot"] for run in turn["runs"]) == ["A", "B", "C"]
    assert all("agent" not in run for run in turn["runs"])

    vote = client.post(f"/chat/turns/{turn_id}/vote", json={"ranking": ["C", "A", "B"]})
    assert vote.status_code == 200, vote.text
    assert vote.json()["battles"] == 3 and vote.json()["counted"]
    revealed = _turn(client, turn_id)
    fused = next(run for run in revealed["runs"] if run["slot"] == "C")
    assert fused["agent"] == "third" and fused["fusion"]["strategy"] == "merge"
    replay = _tail(client, turn_id, started.json()["after"])
    assert replay[0].data["agent"] == "third" and replay[0].data["slot"] == "C", "named now"
    assert [e.seq for e in replay] == [e.seq for e in tail]
    board = client.get("/leaderboard", params={"scope": "me"}).json()["items"]
    assert any(row["agent"] == "fusion:merge:third" for row in board), board

"""Regenerate one run over real HTTP: a new run in the same turn, streamed after the first
`turn_done`, persisted with `retry_of`; the old run untouched."""

from __future__ import annotations

import httpx

from tests.support.sse import read_stream, texts_by_run

AGENTS = ["offline", "offline-2"]


def test_a_retry_streams_a_new_run_in_the_same_turn(client: httpx.Client) -> None:
    first = read_stream(
        client, "POST", "/chat/streaming", json_body={"message": "again?", "agents": AGENTS}
    )
    turn_id = first[0].data["turn_id"]
    before = client.get(f"/chat/turns/{turn_id}").json()
    old = before["runs"][1]
    response = client.post(f"/chat/turns/{turn_id}/runs/{old['run_id']}/retry")
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["retry_of"] == old["run_id"] and started["after"] == first[-1].seq
    tail = read_stream(
        client, "GET", f"/chat/streaming/{turn_id}", headers={"Last-Event-ID": str(first[-1].seq)}
    )
    assert [e.seq for e in tail] == list(range(first[-1].seq + 1, first[-1].seq + 1 + len(tail)))
    assert tail[0].type == "run_started" and tail[0].data["run_id"] == started["run_id"]
    assert tail[0].data["agent"] == old["agent"] and tail[0].data["retry_of"] == old["run_id"]
    assert [e.type for e in tail][-2:] == ["run_done", "turn_done"]
    after = client.get(f"/chat/turns/{turn_id}").json()
    assert after["status"] == "done" and len(after["runs"]) == 3
    new = after["runs"][2]
    assert new["retry_of"] == old["run_id"] and new["agent"] == old["agent"]
    assert new["output"] == texts_by_run(tail)[new["run_id"]]
    assert after["runs"][:2] == before["runs"], "the runs it read are untouched"
    replay = read_stream(
        client, "GET", f"/chat/streaming/{turn_id}", headers={"Last-Event-ID": "0"}
    )
    assert [e.seq for e in replay][: len(first)] == [e.seq for e in first]


def test_retry_refuses_a_running_turn_a_blind_turn_and_a_foreign_run(
    client: httpx.Client,
) -> None:
    blind = client.post("/chat/wait", json={"message": "b", "agents": AGENTS, "blind": True}).json()
    response = client.post(
        f"/chat/turns/{blind['turn_id']}/runs/{blind['runs'][0]['run_id']}/retry"
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "blind_turn"
    other = client.post("/chat/wait", json={"message": "o", "agents": AGENTS}).json()
    response = client.post(
        f"/chat/turns/{blind['turn_id']}/runs/{other['runs'][0]['run_id']}/retry"
    )
    assert response.status_code == 404
    hang = {"message": "h", "agents": ["offline"], "models": {"offline": "fault-hang"}}
    live = read_stream(client, "POST", "/chat/streaming", json_body=hang, limit=1)
    turn_id, run_id = live[0].data["turn_id"], live[0].data["runs"][0]["run_id"]
    try:
        response = client.post(f"/chat/turns/{turn_id}/runs/{run_id}/retry")
        assert response.status_code == 409 and response.json()["error"]["code"] == "turn_running"
    finally:
        client.post(f"/chat/turns/{turn_id}/cancel")

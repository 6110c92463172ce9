"""`POST /chat/streaming` and resume, read by a real SSE client over a real socket."""

from __future__ import annotations

import httpx
import pytest

from tests.support.eventually import eventually
from tests.support.sse import Event, read_stream, texts_by_run

BODY = {"message": "Stream two agents", "agents": ["offline", "offline-2"]}


def _stream(client: httpx.Client, body: dict[str, object] = BODY, **kwargs: object) -> list[Event]:
    return read_stream(client, "POST", "/chat/streaming", json_body=body, **kwargs)  # type: ignore[arg-type]


def _resume(client: httpx.Client, turn_id: str, last_seq: int) -> list[Event]:
    return read_stream(
        client, "GET", f"/chat/streaming/{turn_id}", headers={"Last-Event-ID": str(last_seq)}
    )


def _wait_until_ended(client: httpx.Client, turn_id: str, deadline_s: float = 30) -> dict:
    """Poll the stored turn until it is no longer running (observable state, bounded)."""

    def ended() -> dict | None:
        turn = client.get(f"/chat/turns/{turn_id}").json()
        return turn if turn["status"] != "running" else None

    return eventually(
        ended, timeout=deadline_s, interval=0.02, message=f"turn {turn_id} still running"
    )


def test_stream_ids_are_consecutive_and_deltas_equal_stored_text(client: httpx.Client) -> None:
    events = _stream(client)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].type == "turn_started" and events[-1].type == "turn_done"
    started = events[0].data
    runs = {r["run_id"]: r for r in started["runs"]}
    assert [r["agent"] for r in started["runs"]] == ["offline", "offline-2"]
    for run_id in runs:
        indices = [
            e.data["index"] for e in events if e.type == "delta" and e.data["run_id"] == run_id
        ]
        assert indices == list(range(len(indices))), "index is 0-based, gap-free, in order"
        ends = [
            e for e in events if e.type in {"run_done", "run_error"} and e.data["run_id"] == run_id
        ]
        assert len(ends) == 1 and ends[0].type == "run_done"
        assert ends[0].data["usage"]["output_tokens"] == len(indices)
    stored = client.get(f"/chat/turns/{started['turn_id']}").json()
    texts = texts_by_run(events)
    for run in stored["runs"]:
        assert run["status"] == "done"
        assert texts[run["run_id"]] == run["output"]


def test_resume_after_every_k_gives_the_uninterrupted_stream(client: httpx.Client) -> None:
    full = _stream(client)
    turn_id = full[0].data["turn_id"]
    for k in range(0, len(full) + 1):
        resumed = _resume(client, turn_id, k)
        assert resumed == full[k:], f"resume after {k}"


def test_disconnect_then_resume_live_loses_and_duplicates_nothing(client: httpx.Client) -> None:
    for k in (1, 3, 7, 20):
        head = _stream(client, limit=k)
        turn_id = head[0].data["turn_id"]
        tail = _resume(client, turn_id, head[-1].seq)
        union = head + tail
        assert [e.seq for e in union] == list(range(1, len(union) + 1))
        assert union[-1].type == "turn_done"
        stored = client.get(f"/chat/turns/{turn_id}").json()
        texts = texts_by_run(union)
        assert all(texts[r["run_id"]] == r["output"] for r in stored["runs"])


def test_client_disconnect_never_cancels_the_runs(client: httpx.Client) -> None:
    head = _stream(client, limit=2)
    turn = _wait_until_ended(client, head[0].data["turn_id"])
    assert turn["status"] == "done"
    assert all(run["status"] == "done" and run["output"] for run in turn["runs"])


def test_resume_of_unknown_turn_is_404(client: httpx.Client) -> None:
    response = client.get("/chat/streaming/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "99999999999999999999", "0x10", "１２"])
def test_bad_last_event_id_is_rejected(client: httpx.Client, value: str) -> None:
    turn_id = _stream(client)[0].data["turn_id"]
    headers = {"Last-Event-ID": value.encode("utf-8")}
    response = client.get(f"/chat/streaming/{turn_id}", headers=headers)  # type: ignore[dict-item]
    assert response.status_code == 422
    assert "Last-Event-ID" in response.json()["error"]["message"]


def test_last_event_id_past_the_end_is_rejected(client: httpx.Client) -> None:
    events = _stream(client)
    turn_id, last = events[0].data["turn_id"], events[-1].seq
    assert _resume(client, turn_id, last) == []
    response = client.get(f"/chat/streaming/{turn_id}", headers={"Last-Event-ID": str(last + 1)})
    assert response.status_code == 422


def test_after_query_parameter_works_like_the_header(client: httpx.Client) -> None:
    events = _stream(client)
    turn_id = events[0].data["turn_id"]
    resumed = read_stream(client, "GET", f"/chat/streaming/{turn_id}?after=5")
    assert resumed == events[5:]


def test_malformed_turn_id_is_422(client: httpx.Client) -> None:
    response = client.get("/chat/streaming/not-a-turn")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_every_stream_opens_with_a_retry_field(client: httpx.Client) -> None:
    """Browsers' own `EventSource` otherwise waits ~3 s before each reconnect."""
    body = {"message": "retry?", "agents": ["offline"]}
    with client.stream("POST", "/chat/streaming", json=body) as response:
        raw = response.read().decode()
    assert raw.startswith("retry: 1000\nid: 1\nevent: turn_started\n")
    assert raw.count("retry:") == 1
    turn_id = raw.split('"turn_id":"', 1)[1].split('"', 1)[0]
    resumed = client.get(f"/chat/streaming/{turn_id}", headers={"Last-Event-ID": "2"}).text
    assert resumed.startswith("retry: 1000\nid: 3\n")

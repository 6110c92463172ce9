"""Retries before the first token, and cancelling a live turn."""

from __future__ import annotations

import time

import httpx

from tests.support.sse import read_stream


def test_flaky_upstream_is_retried_until_it_answers(client: httpx.Client) -> None:
    body = client.post(
        "/chat/wait",
        json={"message": "retry me", "agents": ["offline"], "models": {"offline": "fault-flaky-2"}},
    ).json()
    run = body["runs"][0]
    assert run["status"] == "done"
    assert run["attempts"] == 3, "two 503s then an answer: three attempts"
    assert run["output"].startswith("You asked")


def test_rate_limit_waits_for_retry_after_and_counts_attempts(client: httpx.Client) -> None:
    started = time.monotonic()
    body = client.post(
        "/chat/wait",
        json={
            "message": "429 please",
            "agents": ["offline", "offline-2"],
            "models": {"offline": "fault-429"},
        },
    ).json()
    elapsed = time.monotonic() - started
    limited, healthy = body["runs"]
    assert limited["status"] == "error"
    assert limited["error"]["code"] == "rate_limited" and limited["error"]["retryable"] is True
    assert limited["attempts"] == 3, "PROVIDER_MAX_RETRIES=2: one try and two retries"
    assert elapsed >= 2.0, "two retries, each after the upstream's Retry-After of 1 s"
    assert healthy["status"] == "done" and healthy["output"]


def test_cancel_ends_unfinished_runs_cancelled_and_keeps_finished_ones(
    client: httpx.Client,
) -> None:
    request = {
        "message": "cancel me",
        "agents": ["offline", "offline-2"],
        "models": {"offline-2": "fault-hang"},
    }
    events = []
    with client.stream("POST", "/chat/streaming", json=request) as response:
        turn_id = response.headers["x-turn-id"]
        lines = response.iter_lines()
        for line in lines:
            if line.startswith("event: run_done"):
                cancel = client.post(f"/chat/turns/{turn_id}/cancel")
                assert cancel.status_code == 202
                assert cancel.json() == {"turn_id": turn_id, "status": "cancelling"}
            if line.startswith("event: "):
                events.append(line.removeprefix("event: "))
    assert events[-2:] == ["run_error", "turn_done"]
    turn = client.get(f"/chat/turns/{turn_id}").json()
    assert turn["status"] == "cancelled"
    done, cancelled = turn["runs"]
    assert done["status"] == "done" and done["output"]
    assert cancelled["status"] == "cancelled" and cancelled["error"]["code"] == "cancelled"
    again = client.post(f"/chat/turns/{turn_id}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_cancel_unknown_turn_is_404(client: httpx.Client) -> None:
    response = client.post("/chat/turns/00000000-0000-4000-8000-000000000000/cancel")
    assert response.status_code == 404


def test_cancelled_turn_replays_with_its_final_events(client: httpx.Client) -> None:
    request = {
        "message": "cancel early",
        "agents": ["offline-2"],
        "models": {"offline-2": "fault-hang"},
    }
    head = read_stream(client, "POST", "/chat/streaming", json_body=request, limit=2)
    turn_id = head[0].data["turn_id"]
    assert client.post(f"/chat/turns/{turn_id}/cancel").status_code == 202
    tail = read_stream(
        client, "GET", f"/chat/streaming/{turn_id}", headers={"Last-Event-ID": str(head[-1].seq)}
    )
    assert [e.type for e in tail] == ["run_error", "turn_done"]
    assert tail[0].data["status"] == "cancelled"
    assert tail[1].data == {"turn_id": turn_id, "status": "cancelled"}

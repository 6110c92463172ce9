"""`Idempotency-Key` on turn starts, over real HTTP, in both modes.

A client that lost the answer to its start sends the same key again: it must get the
turn the first request started (its answer, or its stream from the start or after
`Last-Event-ID`), never a second turn; a key reused with another body is refused.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatwait.api import create_app
from tests.support import app as test_app
from tests.support.databases import throwaway_database
from tests.support.servers import free_port, serve_in_thread
from tests.support.sse import Event, read_stream, texts_by_run

BODY = {"message": "Name this turn", "agents": ["offline", "offline-2"]}
HANG = {"message": "Hold on", "agents": ["offline"], "models": {"offline": "fault-hang"}}


def _key() -> str:
    return f"test-{uuid.uuid4()}"


def _turn_count(client: httpx.Client) -> int:
    """Turns in every conversation the local user has."""
    page = client.get("/conversations", params={"limit": 100}).json()
    return sum(len(client.get(f"/conversations/{c['id']}").json()["turns"]) for c in page["items"])


def test_wait_with_the_same_key_answers_with_the_same_turn(client: httpx.Client) -> None:
    key, before = _key(), _turn_count(client)
    first = client.post("/chat/wait", json=BODY, headers={"Idempotency-Key": key})
    again = client.post("/chat/wait", json=BODY, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert _turn_count(client) == before + 1, "the retry started no second turn"


def test_concurrent_starts_with_one_key_make_one_turn(client: httpx.Client) -> None:
    key, before = _key(), _turn_count(client)

    def start(_: int) -> dict[str, Any]:
        response = client.post("/chat/wait", json=BODY, headers={"Idempotency-Key": key})
        assert response.status_code == 200, response.text
        return response.json()

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(start, range(4)))
    assert {a["turn_id"] for a in answers} == {answers[0]["turn_id"]}
    assert all(a == answers[0] for a in answers)
    assert _turn_count(client) == before + 1


def test_the_same_key_with_another_body_is_refused_and_creates_nothing(
    client: httpx.Client,
) -> None:
    key = _key()
    assert client.post("/chat/wait", json=BODY, headers={"Idempotency-Key": key}).is_success
    before = _turn_count(client)
    other = {**BODY, "message": "Something else"}
    for path in ("/chat/wait", "/chat/streaming"):
        response = client.post(path, json=other, headers={"Idempotency-Key": key})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert _turn_count(client) == before


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve", "tab\tkey"])
def test_a_malformed_key_is_a_422_before_anything_starts(client: httpx.Client, key: str) -> None:
    before = _turn_count(client)
    response = client.post(
        "/chat/wait", json=BODY, headers=[(b"Idempotency-Key", key.encode("utf-8"))]
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert "Idempotency-Key" in response.json()["error"]["message"]
    assert _turn_count(client) == before


def test_the_longest_allowed_key_of_visible_ascii_works(client: httpx.Client) -> None:
    key = "".join(chr(33 + i % 94) for i in range(255))
    first = client.post("/chat/wait", json=BODY, headers={"Idempotency-Key": key}).json()
    again = client.post("/chat/wait", json=BODY, headers={"Idempotency-Key": key}).json()
    assert again["turn_id"] == first["turn_id"]


def test_streaming_again_with_the_key_replays_that_turn(client: httpx.Client) -> None:
    key = _key()
    headers = {"Idempotency-Key": key}
    first = read_stream(client, "POST", "/chat/streaming", json_body=BODY, headers=headers)
    again = read_stream(client, "POST", "/chat/streaming", json_body=BODY, headers=headers)
    assert again == first, "the very same events, ids included"
    assert first[-1].type == "turn_done"
    tail = read_stream(
        client,
        "POST",
        "/chat/streaming",
        json_body=BODY,
        headers={**headers, "Last-Event-ID": "3"},
    )
    assert tail == [e for e in first if e.seq > 3]


def test_a_stream_and_a_wait_with_one_key_share_the_turn(client: httpx.Client) -> None:
    key = _key()
    events = read_stream(
        client, "POST", "/chat/streaming", json_body=BODY, headers={"Idempotency-Key": key}
    )
    answer = client.post("/chat/wait", json=BODY, headers={"Idempotency-Key": key}).json()
    assert answer["turn_id"] == events[0].data["turn_id"]
    streamed = texts_by_run(events)
    assert {run["run_id"]: run["output"] for run in answer["runs"]} == streamed


def test_a_wait_attached_to_a_running_turn_answers_when_it_ends(client: httpx.Client) -> None:
    key = _key()
    head = read_stream(
        client,
        "POST",
        "/chat/streaming",
        json_body=HANG,
        headers={"Idempotency-Key": key},
        limit=1,
    )
    turn_id = head[0].data["turn_id"]
    answers: list[httpx.Response] = []
    waiting = threading.Thread(
        target=lambda: answers.append(
            client.post("/chat/wait", json=HANG, headers={"Idempotency-Key": key})
        )
    )
    waiting.start()
    # The hang never ends by itself in this window: an answer now would be a snapshot of
    # the running turn. (If the request is slow to arrive, the cancel below lands first
    # and the wait attaches to an ended turn: still a valid answer.)
    waiting.join(0.5)
    assert waiting.is_alive(), "the attached wait must wait for the turn to end"
    assert client.post(f"/chat/turns/{turn_id}/cancel").status_code == 202
    waiting.join(30)
    assert not waiting.is_alive()
    (answer,) = answers
    assert answer.status_code == 200
    body = answer.json()
    assert body["turn_id"] == turn_id and body["status"] == "cancelled"
    assert body["runs"][0]["status"] == "cancelled"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with throwaway_database(tmp_path) as url:
        yield url


def _serve(directory: Path, database_url: str) -> Any:
    port = free_port()
    settings = test_app.test_settings(directory, database_url, port)
    return serve_in_thread(create_app(settings), port=port)


def test_a_key_holds_across_a_restart(tmp_path: Path, database_url: str) -> None:
    key = _key()
    with _serve(tmp_path, database_url) as url:
        first = httpx.post(f"{url}/chat/wait", json=BODY, headers={"Idempotency-Key": key})
    with _serve(tmp_path, database_url) as url:
        again = httpx.post(f"{url}/chat/wait", json=BODY, headers={"Idempotency-Key": key})
        events: list[Event] = []
        with httpx.Client(base_url=url, timeout=30) as http:
            events = read_stream(
                http, "POST", "/chat/streaming", json_body=BODY, headers={"Idempotency-Key": key}
            )
    assert again.json() == first.json()
    assert events[0].data["turn_id"] == first.json()["turn_id"]
    assert events[-1].type == "turn_done"

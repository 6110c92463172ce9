"""Conversation history routes."""

from __future__ import annotations

import httpx
import pytest


def _new_conversation(client: httpx.Client, message: str) -> str:
    body = client.post("/chat/wait", json={"message": message, "agents": ["offline"]}).json()
    return str(body["conversation_id"])


def test_title_comes_from_the_first_message(client: httpx.Client) -> None:
    conversation_id = _new_conversation(
        client, "How do I brew a really good cup of green tea at home without bitterness?"
    )
    summary = client.get(f"/conversations/{conversation_id}").json()
    assert summary["title"].startswith("How do I brew a really good cup of green tea")
    assert len(summary["title"]) <= 61


def test_list_is_newest_first_and_paginated(client: httpx.Client) -> None:
    ids = [_new_conversation(client, f"page test {i}") for i in range(3)]
    first = client.get("/conversations", params={"limit": 2}).json()
    assert [c["id"] for c in first["items"]] == ids[::-1][:2]
    assert first["limit"] == 2 and first["offset"] == 0 and first["total"] >= 3
    second = client.get("/conversations", params={"limit": 2, "offset": 2}).json()
    assert second["items"][0]["id"] == ids[0]


def test_continuing_a_conversation_moves_it_to_the_top(client: httpx.Client) -> None:
    older = _new_conversation(client, "older")
    _new_conversation(client, "newer")
    client.post(
        "/chat/wait", json={"message": "again", "conversation_id": older, "agents": ["offline"]}
    )
    assert client.get("/conversations").json()["items"][0]["id"] == older


def test_detail_has_every_turn_with_its_runs(client: httpx.Client) -> None:
    conversation_id = _new_conversation(client, "one")
    client.post("/chat/wait", json={"message": "two", "conversation_id": conversation_id})
    detail = client.get(f"/conversations/{conversation_id}").json()
    assert [t["message"] for t in detail["turns"]] == ["one", "two"]
    assert [len(t["runs"]) for t in detail["turns"]] == [1, 2]
    assert all(run["output"] for t in detail["turns"] for run in t["runs"])


def test_rename_and_metadata(client: httpx.Client) -> None:
    conversation_id = _new_conversation(client, "rename me")
    patched = client.patch(
        f"/conversations/{conversation_id}",
        json={"title": "  Tea   notes ", "metadata": {"mode": "wait", "agents": ["offline"]}},
    )
    assert patched.status_code == 200
    assert patched.json()["title"] == "Tea notes"
    stored = client.get(f"/conversations/{conversation_id}").json()
    assert stored["metadata"] == {"mode": "wait", "agents": ["offline"]}


@pytest.mark.parametrize(
    "body", [{"title": ""}, {"title": "   "}, {"title": "x" * 201}, {"title": "a\u0000b"}, {"x": 1}]
)
def test_bad_rename_is_422_and_changes_nothing(client: httpx.Client, body: dict) -> None:
    conversation_id = _new_conversation(client, "keep my title")
    response = client.patch(f"/conversations/{conversation_id}", json=body)
    assert response.status_code == 422
    assert client.get(f"/conversations/{conversation_id}").json()["title"] == "keep my title"


def test_delete_removes_the_conversation_and_its_turns(client: httpx.Client) -> None:
    body = client.post("/chat/wait", json={"message": "delete me", "agents": ["offline"]}).json()
    conversation_id, turn_id = body["conversation_id"], body["turn_id"]
    assert client.delete(f"/conversations/{conversation_id}").status_code == 204
    assert client.get(f"/conversations/{conversation_id}").status_code == 404
    assert client.get(f"/chat/turns/{turn_id}").status_code == 404
    assert client.delete(f"/conversations/{conversation_id}").status_code == 404


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_and_malformed_ids(client: httpx.Client, method: str) -> None:
    kwargs = {"json": {"title": "x"}} if method == "PATCH" else {}
    unknown = client.request(
        method, "/conversations/00000000-0000-4000-8000-000000000000", **kwargs
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    malformed = client.request(method, "/conversations/12345", **kwargs)
    assert malformed.status_code == 422


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "x"}])
def test_bad_pagination_is_422(client: httpx.Client, params: dict) -> None:
    assert client.get("/conversations", params=params).status_code == 422

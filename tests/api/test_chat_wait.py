"""`POST /chat/wait` against the real server and the offline provider over HTTP."""

from __future__ import annotations

import uuid

import httpx
import pytest

RUN_KEYS = {
    "run_id",
    "agent",
    "provider",
    "model",
    "status",
    "output",
    "error",
    "usage",
    "cost_usd",
    "latency_ms",
    "ttft_ms",
    "attempts",
    "tool_calls",
    "reasoning",
    "slot",
    "retry_of",
    "fusion",
}


def test_wait_answers_every_default_agent_with_metadata(client: httpx.Client) -> None:
    response = client.post("/chat/wait", json={"message": "Tell me about tea."})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "done"
    assert [run["agent"] for run in body["runs"]] == ["offline", "offline-2"]
    for run in body["runs"]:
        assert set(run) == RUN_KEYS
        assert run["status"] == "done" and run["error"] is None
        assert run["tool_calls"] == [] and run["reasoning"] is None
        assert 'You asked: "Tell me about tea."' in run["output"]
        assert run["usage"]["input_tokens"] > 0 and run["usage"]["output_tokens"] > 0
        assert run["attempts"] == 1
        assert run["latency_ms"] >= run["ttft_ms"] > 0
        assert run["cost_usd"] is None, "the offline model has no price: null, not 0"


def test_wait_result_is_what_the_database_holds(client: httpx.Client) -> None:
    body = client.post("/chat/wait", json={"message": "Persist me", "agents": ["offline"]}).json()
    stored = client.get(f"/chat/turns/{body['turn_id']}").json()
    assert stored == body


def test_agent_sees_its_own_thread_of_the_conversation(client: httpx.Client) -> None:
    first = client.post("/chat/wait", json={"message": "First question", "agents": ["offline"]})
    conversation_id = first.json()["conversation_id"]
    second = client.post(
        "/chat/wait",
        json={
            "message": "Second question",
            "conversation_id": conversation_id,
            "agents": ["offline"],
        },
    ).json()
    assert second["conversation_id"] == conversation_id
    assert "holds 2 user messages" in second["runs"][0]["output"]
    assert "holds 1 user message" in first.json()["runs"][0]["output"]


def test_model_can_be_chosen_per_agent(client: httpx.Client) -> None:
    body = client.post(
        "/chat/wait",
        json={
            "message": "hi",
            "agents": ["offline", "offline-2"],
            "models": {"offline": "offline-2"},
        },
    ).json()
    assert [run["model"] for run in body["runs"]] == ["offline-2", "offline-2"]


def _count_conversations(client: httpx.Client) -> int:
    return int(client.get("/conversations").json()["total"])


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"message": ""}, 422, "validation_error"),
        ({"message": "   \n\t "}, 422, "validation_error"),
        ({"message": "x" * 32_001}, 422, "validation_error"),
        ({"message": "bad \u0000 byte"}, 422, "validation_error"),
        ({"message": "hi", "agents": ["nobody"]}, 422, "unknown_agent"),
        ({"message": "hi", "agents": ["openai"]}, 422, "agent_unavailable"),
        (
            {"message": "hi", "agents": ["offline"], "models": {"offline": "gpt-9"}},
            422,
            "unknown_model",
        ),
        ({"message": "hi", "agents": ["offline", "offline"]}, 422, "validation_error"),
        ({"message": "hi", "agents": []}, 422, "validation_error"),
        (
            {"message": "hi", "agents": ["offline"], "models": {"offline-2": "offline-1"}},
            422,
            "validation_error",
        ),
        ({"message": "hi", "conversation_id": "not-a-uuid"}, 422, "validation_error"),
        ({"message": "hi", "conversation_id": str(uuid.uuid4())}, 404, "not_found"),
        ({"message": "hi", "surprise": 1}, 422, "validation_error"),
        ({"text": "hi"}, 422, "validation_error"),
    ],
)
@pytest.mark.parametrize("route", ["/chat/wait", "/chat/streaming"])
def test_bad_input_is_a_json_4xx_and_stores_nothing(
    client: httpx.Client, route: str, body: dict[str, object], status: int, code: str
) -> None:
    before = _count_conversations(client)
    response = client.post(route, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert _count_conversations(client) == before


def test_too_many_agents_is_rejected(client: httpx.Client) -> None:
    response = client.post(
        "/chat/wait", json={"message": "hi", "agents": [f"a{i}" for i in range(5)]}
    )
    assert response.status_code == 422
    assert "at most 4 agents" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"{not json", {"content-type": "application/json"}),
        (b"\xff\xfe\xfa", {"content-type": "application/json"}),
        (b"message=hi", {"content-type": "application/x-www-form-urlencoded"}),
    ],
)
def test_malformed_bodies_are_4xx_json(
    client: httpx.Client, content: bytes, headers: dict[str, str]
) -> None:
    response = client.post("/chat/wait", content=content, headers=headers)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] in {"invalid_json", "validation_error", "bad_request"}


def test_html_and_sql_payloads_are_stored_verbatim(client: httpx.Client) -> None:
    message = "<script>alert(1)</script>'; DROP TABLE runs; --"
    body = client.post("/chat/wait", json={"message": message, "agents": ["offline"]}).json()
    stored = client.get(f"/conversations/{body['conversation_id']}").json()
    assert stored["turns"][0]["message"] == message

"""`GET /models`, `GET /healthz`, OpenAPI."""

from __future__ import annotations

import os

import httpx

from tests.support.app import REDIS_URL_ENV


def test_models_lists_every_agent_with_availability(client: httpx.Client) -> None:
    body = client.get("/models").json()
    agents = {agent["name"]: agent for agent in body["agents"]}
    assert {"openai", "gemini", "offline", "offline-2"} <= set(agents)
    assert agents["openai"]["available"] is False
    assert agents["openai"]["reason"] == "OPENAI_API_KEY is not set"
    assert agents["gemini"]["reason"] == "GEMINI_API_KEY is not set"
    offline = agents["offline"]
    assert offline["available"] is True and offline["reason"] is None
    assert offline["default_model"] == "offline-1" and "fault-429" in offline["models"]
    assert body["default_agents"] == ["offline", "offline-2"]


def test_health_checks_the_database(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    kind = "redis" if os.environ.get(REDIS_URL_ENV) else "memory"  # the suite runs on both
    assert response.json() == {"status": "ok", "database": "ok", "event_log": kind}


def test_openapi_documents_every_route(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/chat/wait",
        "/chat/streaming",
        "/chat/streaming/{turn_id}",
        "/chat/turns/{turn_id}",
        "/chat/turns/{turn_id}/cancel",
        "/conversations",
        "/conversations/{conversation_id}",
        "/models",
        "/healthz",
    ):
        assert path in paths


def test_unknown_route_is_json_404(client: httpx.Client) -> None:
    response = client.get("/no/such/route")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_every_response_carries_a_request_id(client: httpx.Client) -> None:
    assert len(client.get("/healthz").headers["x-request-id"]) >= 16
    echoed = client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert echoed.headers["x-request-id"] == "trace-123"

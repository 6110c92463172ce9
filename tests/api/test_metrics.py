"""`GET /metrics` over real HTTP: who may read it, and that it counts what happened.

A local-mode server with a METRICS_TOKEN: a turn with one answering and one failing
agent, then a stream held open, and the exposition parsed with `prometheus_client`'s
own parser.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from chatwait.metrics import Metrics
from tests.accounts._support import Account, admin_of, bearer, local_app, signed_up

METRICS_TOKEN = "metrics-" + secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    directory: Path = tmp_path_factory.mktemp("metrics")
    with local_app(directory, METRICS_TOKEN=METRICS_TOKEN) as running:
        yield running


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(text: str, name: str, **labels: str) -> float:
    return _samples(text).get((name, frozenset(labels.items())), 0.0)


def _scrape(client: httpx.Client) -> str:
    response = client.get("/metrics", headers=bearer(METRICS_TOKEN))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_only_admins_and_the_metrics_token_read_it(server: tuple[str, str]) -> None:
    url, database = server
    with httpx.Client(base_url=url, timeout=60) as client:
        user, admin = signed_up(client), admin_of(client, database)
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=bearer(METRICS_TOKEN + "x")).status_code == 401
        refused = client.get("/metrics", headers=user.auth)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        assert client.get("/metrics", headers=admin.auth).status_code == 200
        assert "chatwait_open_streams" in _scrape(client)
        # The metrics token is no account credential anywhere else.
        assert client.get("/me", headers=bearer(METRICS_TOKEN)).status_code == 401


def test_runs_turns_tokens_and_provider_errors_are_counted(server: tuple[str, str]) -> None:
    url, _ = server
    with httpx.Client(base_url=url, timeout=60) as client:
        user: Account = signed_up(client)
        before = _scrape(client)
        body = {
            "message": "count me",
            "agents": ["offline", "offline-2"],
            "models": {"offline-2": "fault-401"},
        }
        answer = client.post("/chat/wait", json=body, headers=user.auth)
        assert answer.status_code == 200, answer.text
        runs = {run["agent"]: run for run in answer.json()["runs"]}
        assert runs["offline"]["status"] == "done" and runs["offline-2"]["status"] == "error"
        code = runs["offline-2"]["error"]["code"]
        after = _scrape(client)

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("chatwait_runs_total", agent="offline", status="done") == 1
    assert grew("chatwait_runs_total", agent="offline-2", status="error") == 1
    assert grew("chatwait_provider_errors_total", agent="offline-2", code=code) == 1
    assert grew("chatwait_turns_total", status="done") == 1
    assert grew("chatwait_run_ttft_seconds_count", agent="offline") == 1
    assert grew("chatwait_run_latency_seconds_count", agent="offline") == 1
    usage = runs["offline"]["usage"]
    assert grew("chatwait_tokens_total", agent="offline", kind="output") == usage["output_tokens"]
    assert grew("chatwait_tokens_total", agent="offline", kind="input") == usage["input_tokens"]


def test_open_streams_are_counted_while_served(server: tuple[str, str]) -> None:
    url, _ = server
    with httpx.Client(base_url=url, timeout=60) as client:
        user = signed_up(client)
        body = {"message": "hold", "agents": ["offline"], "models": {"offline": "fault-hang"}}
        idle = _value(_scrape(client), "chatwait_open_streams")
        with client.stream("POST", "/chat/streaming", json=body, headers=user.auth) as stream:
            assert stream.status_code == 200
            lines = stream.iter_lines()
            assert any(line.startswith("event: turn_started") for line in lines)
            assert _value(_scrape(client), "chatwait_open_streams") == idle + 1
            turn_id = stream.headers["x-turn-id"]
            cancelled = client.post(f"/chat/turns/{turn_id}/cancel", headers=user.auth)
            assert cancelled.status_code == 202, cancelled.text
            assert any(line.startswith("event: turn_done") for line in lines)
        # The server counts the stream down once its response ended.
        for _ in range(200):
            if _value(_scrape(client), "chatwait_open_streams") == idle:
                break
        assert _value(_scrape(client), "chatwait_open_streams") == idle


def test_the_limits_hook_counts_refusals_by_limit() -> None:
    metrics = Metrics()
    metrics.request_refused("turns_per_minute")
    metrics.request_refused("turns_per_minute")
    metrics.request_refused("tokens_per_day")
    text = metrics.exposition().decode()
    assert _value(text, "chatwait_refused_requests_total", limit="turns_per_minute") == 2
    assert _value(text, "chatwait_refused_requests_total", limit="tokens_per_day") == 1


def test_a_turn_refused_by_a_limit_is_counted_by_that_limit(tmp_path: Path) -> None:
    with (
        local_app(tmp_path, METRICS_TOKEN=METRICS_TOKEN, LIMIT_TURNS_PER_MINUTE=1) as (url, _),
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        user = signed_up(client)
        body = {"message": "once", "agents": ["offline"]}
        assert client.post("/chat/wait", json=body, headers=user.auth).status_code == 200
        refused = client.post("/chat/wait", json=body, headers=user.auth)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        text = _scrape(client)
    assert _value(text, "chatwait_refused_requests_total", limit="turns_per_minute") == 1
    assert _value(text, "chatwait_turns_total", status="done") == 1

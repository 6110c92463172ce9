"""Turns over a limit are refused with a 429 before anything of them exists (real HTTP).

Each test gets a server of its own (AUTH_MODE=none: one local user), on SQLite or, with
CHATWAIT_TEST_POSTGRES_URL, on Postgres.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse

from tests.limits._support import (
    HANG,
    QUICK,
    CountingSim,
    counting_sim,
    limited_app,
    next_utc_midnight,
    row_counts,
)
from tests.support.sse import read_stream


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[CountingSim, str]]:
    with counting_sim() as served:
        yield served


def _refusal(response: httpx.Response, code: str, limit: str) -> int:
    """Check a 429's body and headers; the `Retry-After` seconds."""
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code and error["limit"] == limit and error["retryable"] is True
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1 and error["retry_after"] == retry_after
    assert "RateLimit-Policy" in response.headers and "RateLimit" in response.headers
    return retry_after


def test_the_turn_past_the_rate_is_refused_and_creates_nothing(
    tmp_path: Path, sim: tuple[CountingSim, str]
) -> None:
    counter, sim_url = sim
    with limited_app(tmp_path, LIMIT_TURNS_PER_MINUTE=2, OFFLINE_BASE_URL=sim_url) as (
        client,
        database_url,
    ):
        first = client.post("/chat/wait", json=QUICK)
        assert first.status_code == 200
        assert first.headers["RateLimit-Policy"] == '"turns";q=2;w=60'
        assert re.fullmatch(r'"turns";r=1;t=\d+', first.headers["RateLimit"])
        second = client.post("/chat/streaming", json=QUICK)
        assert second.status_code == 200 and "turn_done" in second.text
        assert re.fullmatch(r'"turns";r=0;t=\d+', second.headers["RateLimit"])
        before, calls = row_counts(database_url), counter.requests
        for path in ("/chat/wait", "/chat/streaming"):
            refused = client.post(path, json={**QUICK, "message": f"third via {path}"})
            retry_after = _refusal(refused, "rate_limited", "turns_per_minute")
            assert refused.headers["RateLimit-Policy"] == '"turns";q=2;w=60'
            reset = re.fullmatch(r'"turns";r=0;t=(\d+)', refused.headers["RateLimit"])
            assert reset is not None and 1 <= int(reset.group(1)) <= retry_after <= 60
        assert row_counts(database_url) == before, "no conversation, turn, run or lease"
        assert counter.requests == calls, "no provider call"


def test_a_running_turn_holds_its_place_until_its_turn_done(
    tmp_path: Path, sim: tuple[CountingSim, str]
) -> None:
    _, sim_url = sim
    with limited_app(tmp_path, LIMIT_CONCURRENT_TURNS=1, OFFLINE_BASE_URL=sim_url) as (
        client,
        database_url,
    ):
        with connect_sse(client, "POST", "/chat/streaming", json=HANG) as source:
            assert source.response.headers["RateLimit"] == '"concurrency";r=0'
            events = source.iter_sse()
            turn_id = json.loads(next(events).data)["turn_id"]
            before = row_counts(database_url)
            refused = client.post("/chat/wait", json=QUICK)
            _refusal(refused, "rate_limited", "concurrent_turns")
            policy = '"concurrency";q=1;qu="concurrent-requests"'
            assert refused.headers["RateLimit-Policy"] == policy
            assert refused.headers["RateLimit"] == '"concurrency";r=0'
            assert row_counts(database_url) == before
            usage = client.get("/me/usage").json()["limits"]["concurrent_turns"]
            assert usage == {
                "limit": 1,
                "used": 1,
                "reserved": 0,
                "remaining": 0,
                "resets_at": None,
            }
            assert client.post(f"/chat/turns/{turn_id}/cancel").status_code == 202
            assert any(sse.event == "turn_done" for sse in events)
        after = client.post("/chat/wait", json=QUICK)
        assert after.status_code == 200, "the place is free once turn_done was sent"
        assert after.headers["RateLimit"] == '"concurrency";r=0'


def test_an_idempotent_retry_attaches_without_counting(tmp_path: Path) -> None:
    with limited_app(tmp_path, LIMIT_TURNS_PER_MINUTE=1) as (client, _):
        key = {"Idempotency-Key": f"limits-{uuid.uuid4()}"}
        first = client.post("/chat/wait", json=QUICK, headers=key)
        again = client.post("/chat/wait", json=QUICK, headers=key)
        assert first.status_code == again.status_code == 200
        assert again.json()["turn_id"] == first.json()["turn_id"]
        events = read_stream(client, "POST", "/chat/streaming", json_body=QUICK, headers=key)
        assert events[0].data["turn_id"] == first.json()["turn_id"]
        assert re.fullmatch(r'"turns";r=0;t=\d+', again.headers["RateLimit"])
        _refusal(client.post("/chat/wait", json=QUICK), "rate_limited", "turns_per_minute")


def test_the_token_quota_settles_real_usage_and_then_refuses(tmp_path: Path) -> None:
    with limited_app(tmp_path, QUOTA_TOKENS_PER_DAY=10) as (client, database_url):
        first = client.post("/chat/wait", json=QUICK)
        assert first.status_code == 200, "under the quota when it starts: let in"
        (run,) = first.json()["runs"]
        tokens = run["usage"]["input_tokens"] + run["usage"]["output_tokens"]
        assert tokens > 10
        usage = client.get("/me/usage").json()
        midnight = next_utc_midnight()
        assert usage["limits"]["tokens_per_day"] == {
            "limit": 10,
            "used": tokens,
            "reserved": 0,
            "remaining": 0,
            "resets_at": midnight.isoformat().replace("+00:00", "Z"),
        }
        assert usage["today"]["tokens"] == tokens
        assert usage["today"]["by_agent_model"] == [
            {
                "agent": "offline",
                "model": "offline-1",
                "runs": 1,
                "input_tokens": run["usage"]["input_tokens"],
                "output_tokens": run["usage"]["output_tokens"],
                "tokens": tokens,
                "cost_usd": 0.0,
            }
        ]
        assert usage["this_month"]["by_agent_model"] == usage["today"]["by_agent_model"]
        before = row_counts(database_url)
        refused = client.post("/chat/streaming", json=QUICK)
        retry_after = _refusal(refused, "quota_exceeded", "tokens_per_day")
        assert refused.headers["RateLimit-Policy"] == '"tokens";q=10;qu="tokens";w=86400'
        reset = re.fullmatch(r'"tokens";r=0;t=(\d+)', refused.headers["RateLimit"])
        assert reset is not None and int(reset.group(1)) <= retry_after <= 86_400
        assert row_counts(database_url) == before
        # Deleting the conversation gives no quota back.
        assert client.delete(f"/conversations/{first.json()['conversation_id']}").is_success
        _refusal(client.post("/chat/wait", json=QUICK), "quota_exceeded", "tokens_per_day")


def test_parallel_turns_overshoot_by_at_most_one_reservation(
    tmp_path: Path, sim: tuple[CountingSim, str]
) -> None:
    limit = 2500
    settings = {
        "QUOTA_TOKENS_PER_DAY": limit,
        "QUOTA_OUTPUT_TOKENS_PER_RUN": 1000,
        "OFFLINE_BASE_URL": sim[1],
    }
    with limited_app(tmp_path, **settings) as (client, _):

        def start(_: int) -> httpx.Response:
            with client.stream("POST", "/chat/streaming", json=HANG) as response:
                return response  # headers read; the turn goes on without us

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(start, range(8)))
        admitted = [a for a in answers if a.status_code == 200]
        for refused in (a for a in answers if a.status_code != 200):
            assert refused.status_code == 429
        usage = client.get("/me/usage").json()["limits"]["tokens_per_day"]
        per_turn = usage["reserved"] / len(admitted)
        assert per_turn > 1000, "each turn reserves its prompt and its maximum output"
        assert usage["used"] == 0 and usage["remaining"] == 0
        assert usage["reserved"] - per_turn < limit <= usage["reserved"]
        for answer in admitted:
            turn_id = answer.headers["X-Turn-Id"]
            assert client.post(f"/chat/turns/{turn_id}/cancel").status_code == 202
            assert read_stream(client, "GET", f"/chat/streaming/{turn_id}")[-1].type == "turn_done"
        settled = client.get("/me/usage").json()["limits"]["tokens_per_day"]
        assert settled["reserved"] == 0, "cancelled runs settle what they used (nothing)"


def test_parallel_starts_never_pass_the_concurrency_limit(
    tmp_path: Path, sim: tuple[CountingSim, str]
) -> None:
    with limited_app(tmp_path, LIMIT_CONCURRENT_TURNS=2, OFFLINE_BASE_URL=sim[1]) as (
        client,
        database_url,
    ):

        def start(_: int) -> httpx.Response:
            with client.stream("POST", "/chat/streaming", json=HANG) as response:
                return response

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(start, range(8)))
        admitted = [a for a in answers if a.status_code == 200]
        assert len(admitted) == 2
        assert all(a.status_code == 429 for a in answers if a not in admitted)
        assert row_counts(database_url)["turns"] == 2
        for answer in admitted:
            turn_id = answer.headers["X-Turn-Id"]
            assert client.post(f"/chat/turns/{turn_id}/cancel").status_code == 202
            assert read_stream(client, "GET", f"/chat/streaming/{turn_id}")[-1].type == "turn_done"
        assert row_counts(database_url)["turn_leases"] == 0


def test_a_configured_agent_reserves_its_own_max_output(
    tmp_path: Path, sim: tuple[CountingSim, str]
) -> None:
    config = tmp_path / "chatwait.toml"
    config.write_text(
        '[[agents]]\nname = "brief"\nprovider = "offline"\nmodel = "offline-1"\n'
        'models = ["offline-1", "fault-hang"]\nmax_output_tokens = 40\n',
        encoding="utf-8",
    )
    settings = {
        "CHATWAIT_CONFIG": str(config),
        "QUOTA_TOKENS_PER_DAY": 100_000,
        "QUOTA_OUTPUT_TOKENS_PER_RUN": 5000,
        "OFFLINE_BASE_URL": sim[1],
    }
    with limited_app(tmp_path, **settings) as (client, _):
        body = {"message": "Hold on", "agents": ["brief"], "models": {"brief": "fault-hang"}}
        with client.stream("POST", "/chat/streaming", json=body) as started:
            assert started.status_code == 200
            turn_id = started.headers["X-Turn-Id"]
        reserved = client.get("/me/usage").json()["limits"]["tokens_per_day"]["reserved"]
        assert 40 < reserved < 200, "its prompt and 40 tokens, not QUOTA_OUTPUT_TOKENS_PER_RUN"
        assert client.post(f"/chat/turns/{turn_id}/cancel").status_code == 202
        assert read_stream(client, "GET", f"/chat/streaming/{turn_id}")[-1].type == "turn_done"

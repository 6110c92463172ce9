"""One user's limits hold across two replicas sharing Postgres and Redis.

The rate window lives in Redis (the `limits` library's async storage), concurrency and
quota leases in the shared database: turns alternated between replicas A and B count
together, and a turn running on A takes the place B would have given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse

from tests.scaleout._replicas import Cluster, cluster
from tests.support.sse import read_stream

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

QUICK = {"message": "count me", "agents": ["offline"]}
HANG = {"message": "hold", "agents": ["offline"], "models": {"offline": "fault-hang"}}


@contextmanager
def two_replicas(
    directory: Path, redis_url: str, postgres_admin_url: str, **env: str
) -> Iterator[Cluster]:
    """Replicas A and B sharing Redis and a fresh Postgres database, with these limits."""
    with cluster(
        directory,
        redis_url=redis_url,
        postgres_admin_url=postgres_admin_url,
        PROVIDER_TIMEOUT_SECONDS="120",
        **env,
    ) as group:
        group.start("a", "b")
        yield group


@contextmanager
def hanging_turn(starter: httpx.Client, canceller: httpx.Client) -> Iterator[str]:
    """A turn running on `starter` for the block; `canceller` (another replica) ends it."""
    with connect_sse(starter, "POST", "/chat/streaming", json=HANG) as source:
        assert source.response.status_code == 200
        events = source.iter_sse()
        turn_id = json.loads(next(events).data)["turn_id"]
        yield turn_id
        assert canceller.post(f"/chat/turns/{turn_id}/cancel").status_code == 202
        assert any(sse.event == "turn_done" for sse in events)


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, postgres_admin_url: str
) -> Iterator[Cluster]:
    directory = tmp_path_factory.mktemp("limits")
    with two_replicas(
        directory,
        redis_url,
        postgres_admin_url,
        LIMIT_TURNS_PER_MINUTE="3",
        LIMIT_CONCURRENT_TURNS="1",
    ) as group:
        yield group


def test_the_limits_hold_across_replicas(pair: Cluster) -> None:
    with (
        httpx.Client(base_url=pair["a"].base_url, timeout=30) as a,
        httpx.Client(base_url=pair["b"].base_url, timeout=30) as b,
    ):
        # Concurrency: the turn running on A leaves B no place.
        with hanging_turn(a, b) as turn_id:
            refused = b.post("/chat/wait", json=QUICK)
            assert refused.status_code == 429
            assert refused.json()["error"]["limit"] == "concurrent_turns"
            assert b.get("/me/usage").json()["limits"]["concurrent_turns"]["used"] == 1

        # Rate: 1 turn on A above, then B, A: three in the minute; the fourth is refused
        # on either replica.
        assert b.post("/chat/wait", json=QUICK).status_code == 200
        assert a.post("/chat/wait", json=QUICK).status_code == 200
        for replica in (b, a):
            refused = replica.post("/chat/wait", json=QUICK)
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"]["limit"] == "turns_per_minute"
            assert refused.headers["RateLimit"].startswith('"turns";r=0;t=')
        usage = a.get("/me/usage").json()["limits"]["turns_per_minute"]
        assert usage["used"] == 3 and usage["remaining"] == 0
        assert read_stream(a, "GET", f"/chat/streaming/{turn_id}")[-1].type == "turn_done"


@pytest.fixture(scope="module")
def quota_pair(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, postgres_admin_url: str
) -> Iterator[Cluster]:
    """A token quota below one run's reservation (prompt + QUOTA_OUTPUT_TOKENS_PER_RUN)."""
    directory = tmp_path_factory.mktemp("quota")
    with two_replicas(
        directory,
        redis_url,
        postgres_admin_url,
        QUOTA_TOKENS_PER_DAY="1000",
        QUOTA_OUTPUT_TOKENS_PER_RUN="1024",
    ) as group:
        yield group


def test_a_token_quota_and_its_reservations_hold_across_replicas(quota_pair: Cluster) -> None:
    with (
        httpx.Client(base_url=quota_pair["a"].base_url, timeout=30) as a,
        httpx.Client(base_url=quota_pair["b"].base_url, timeout=30) as b,
    ):
        # A turn running on A reserves more than the quota: B refuses the next one.
        with hanging_turn(a, b):
            refused = b.post("/chat/wait", json=QUICK)
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"]["code"] == "quota_exceeded"
            assert refused.json()["error"]["limit"] == "tokens_per_day"
            tokens = b.get("/me/usage").json()["limits"]["tokens_per_day"]
            assert tokens["used"] == 0 and tokens["reserved"] >= 1024

        # Cancelled, the turn settled to what it used (nothing): B lets one in, which
        # settles its real tokens; both replicas then read the same usage.
        done = b.post("/chat/wait", json=QUICK)
        assert done.status_code == 200, done.text
        usage = done.json()["runs"][0]["usage"]
        spent = usage["input_tokens"] + usage["output_tokens"]
        for replica in (a, b):
            tokens = replica.get("/me/usage").json()["limits"]["tokens_per_day"]
            assert tokens["used"] == spent and tokens["reserved"] == 0

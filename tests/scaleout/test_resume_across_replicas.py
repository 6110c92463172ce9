"""A stream started on replica A resumes on replica B: live, after the end, after expiry.

Two replica processes share a fresh Postgres database and a Redis key prefix. The
offline model is paced (~50 tokens/s) so that a client cut off after k events resumes on
the other replica while the turn is still streaming. Whatever serves the resume (the
Redis log live, the log after the end, the database once retention dropped the keys),
the union of the head and the tail must be the uninterrupted stream, event for event.
"""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis

from tests.scaleout import _streams as streams
from tests.scaleout._replicas import Cluster, cluster
from tests.support.eventually import eventually
from tests.support.sse import Event, texts_by_run

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

BODY = {"message": "Resume me elsewhere", "agents": ["offline", "offline-2"]}
HANG_BODY = {**BODY, "models": {"offline-2": "fault-hang"}}
TTL_SECONDS = 3


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, postgres_admin_url: str
) -> Iterator[Cluster]:
    with cluster(
        tmp_path_factory.mktemp("resume"),
        redis_url=redis_url,
        postgres_admin_url=postgres_admin_url,
        EVENT_LOG_TTL_SECONDS=str(TTL_SECONDS),
        SIM_TTFT_MS="20",
        SIM_TOKENS_PER_SECOND="50",
        SIM_ANSWER_TOKENS="12",
        # A `fault-hang` run here ends only by cancel: starting a replica under load took
        # longer than a 5 s provider timeout, and the "still running" turn had ended.
        PROVIDER_TIMEOUT_SECONDS="120",
    ) as group:
        group.start("a", "b")
        yield group


@pytest.fixture(scope="module")
def admin(redis_url: str) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        yield client


def _log_keys(group: Cluster, turn_id: str) -> list[str]:
    base = f"{group.prefix}:turn:{{{turn_id}}}"
    return [f"{base}:events", f"{base}:meta"]


def _check_complete(group: Cluster, events: list[Event]) -> None:
    """Seq 1..N without a gap, one turn_done at the end, deltas equal to stored text."""
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].type == "turn_started" and events[-1].type == "turn_done"
    turn_id = events[0].data["turn_id"]
    stored = httpx.get(f"{group['b'].base_url}/chat/turns/{turn_id}").json()
    texts = texts_by_run(events)
    for run in stored["runs"]:
        assert texts.get(run["run_id"], "") == run["output"], run["agent"]


def test_replicas_serve_from_redis(pair: Cluster) -> None:
    for replica in pair.replicas.values():
        health = httpx.get(f"{replica.base_url}/healthz").json()
        assert health["event_log"] == "redis"


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8, 13, 21])
def test_cut_on_a_after_k_events_resumes_live_on_b(pair: Cluster, k: int) -> None:
    head = streams.start(pair["a"].base_url, BODY, limit=k)
    turn_id = head[0].data["turn_id"]
    tail = streams.resume(pair["b"].base_url, turn_id, head[-1].seq)
    union = head + tail
    _check_complete(pair, union)
    assert union == streams.resume(pair["a"].base_url, turn_id, 0), "the uninterrupted stream"


def test_resume_on_b_after_the_end_for_every_k(pair: Cluster, admin: redis.Redis) -> None:
    full = streams.start(pair["a"].base_url, BODY)
    _check_complete(pair, full)
    turn_id = full[0].data["turn_id"]
    for k in range(len(full) + 1):
        assert streams.resume(pair["b"].base_url, turn_id, k) == full[k:], f"after {k}"


def test_resume_after_redis_retention_expired_comes_from_the_database(
    pair: Cluster, admin: redis.Redis
) -> None:
    head = streams.start(pair["a"].base_url, BODY, limit=4)
    turn_id = head[0].data["turn_id"]
    streams.wait_for_turn(pair["b"].base_url, turn_id, streams.ended)
    full = streams.resume(pair["a"].base_url, turn_id, 0)
    _check_complete(pair, full)
    keys = _log_keys(pair, turn_id)
    assert admin.exists(*keys) == 2, "the finished turn is in the Redis log"
    assert 0 < admin.ttl(keys[1]) <= TTL_SECONDS
    eventually(
        lambda: not admin.exists(*keys),
        timeout=TTL_SECONDS + 30,
        interval=0.1,
        message="retention never dropped the turn's keys",
    )
    assert head + streams.resume(pair["b"].base_url, turn_id, head[-1].seq) == full
    for k in range(len(full) + 1):
        assert streams.resume(pair["b"].base_url, turn_id, k) == full[k:], f"after {k}"
        assert streams.resume(pair["a"].base_url, turn_id, k) == full[k:], f"after {k}"


def test_cancel_on_b_stops_a_turn_running_on_a(pair: Cluster) -> None:
    """`fault-hang` never answers: only the cancel sent to B can end this turn."""
    head = streams.start(pair["a"].base_url, HANG_BODY, limit=3)
    turn_id = head[0].data["turn_id"]
    response = httpx.post(f"{pair['b'].base_url}/chat/turns/{turn_id}/cancel")
    assert response.status_code == 202, response.text
    assert response.json() == {"turn_id": turn_id, "status": "cancelling"}
    tail = streams.resume(pair["b"].base_url, turn_id, head[-1].seq)
    union = head + tail
    _check_complete(pair, union)
    assert union[-1].data["status"] == "cancelled"
    turn = streams.wait_for_turn(pair["b"].base_url, turn_id, streams.ended)
    assert turn["status"] == "cancelled"
    hung = next(r for r in turn["runs"] if r["agent"] == "offline-2")
    assert hung["status"] == "cancelled" and hung["error"]["code"] == "cancelled"
    again = httpx.post(f"{pair['b'].base_url}/chat/turns/{turn_id}/cancel")
    assert again.status_code == 409


def test_cancel_of_an_unknown_turn_is_404_on_any_replica(pair: Cluster) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for replica in pair.replicas.values():
        assert httpx.post(f"{replica.base_url}/chat/turns/{missing}/cancel").status_code == 404


def _leases(admin: redis.Redis, group: Cluster) -> int:
    return len(list(admin.scan_iter(match=f"{group.prefix}:replica:*")))


def test_a_replica_started_later_leaves_running_turns_alone(
    pair: Cluster, admin: redis.Redis
) -> None:
    """With Redis, start-up judges no one: the running turn on A is still A's to end."""
    head = streams.start(pair["a"].base_url, HANG_BODY, limit=3)
    turn_id = head[0].data["turn_id"]
    before = _leases(admin, pair)
    (late,) = pair.start("c")
    assert _leases(admin, pair) == before + 1, "a replica takes its lease before serving"
    turn = httpx.get(f"{late.base_url}/chat/turns/{turn_id}").json()
    assert turn["status"] == "running"
    assert httpx.post(f"{late.base_url}/chat/turns/{turn_id}/cancel").status_code == 202
    turn = streams.wait_for_turn(late.base_url, turn_id, streams.ended)
    assert turn["status"] == "cancelled"
    late.stop()
    assert late.process.returncode in (0, -signal.SIGTERM), late.log_text()[-2000:]
    assert _leases(admin, pair) == before, "a clean shutdown gives the lease back"


def test_an_idempotency_key_names_one_turn_on_every_replica(pair: Cluster) -> None:
    """A start retried on another replica (behind a load balancer) attaches, live or done."""
    key = f"scaleout-{uuid.uuid4()}"
    head = streams.start(pair["a"].base_url, HANG_BODY, limit=3, idempotency_key=key)
    turn_id = head[0].data["turn_id"]
    again = streams.start(pair["b"].base_url, HANG_BODY, limit=3, idempotency_key=key)
    assert again == head, "B streams A's live turn from the start"
    assert httpx.post(f"{pair['b'].base_url}/chat/turns/{turn_id}/cancel").status_code == 202
    waited = httpx.post(
        f"{pair['b'].base_url}/chat/wait",
        json=HANG_BODY,
        headers={"Idempotency-Key": key},
        timeout=60,
    )
    assert waited.status_code == 200
    assert waited.json()["turn_id"] == turn_id and waited.json()["status"] == "cancelled"
    other = httpx.post(
        f"{pair['a'].base_url}/chat/wait",
        json={**HANG_BODY, "message": "different"},
        headers={"Idempotency-Key": key},
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"

"""A replica SIGKILLed mid-turn: a survivor ends its turns `interrupted`, readers end.

Replica A runs a turn whose second agent uses `fault-hang` (it never answers), so the
turn is certainly running when A dies; a reader of that turn is attached to B. No
shutdown code runs on A. B must notice that A's lease is gone and end the turn, within
`REPLICA_LEASE_SECONDS + REPLICA_HEARTBEAT_SECONDS` plus slack, with the reader on B
getting the missing `run_error`s and `turn_done` instead of hanging. B's own turn,
running all along, must be left alone.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.scaleout import _streams as streams
from tests.scaleout._replicas import Cluster, cluster
from tests.support.sse import texts_by_run

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

HEARTBEAT_SECONDS = 0.25
LEASE_SECONDS = 2.0
DETECTION_BOUND = LEASE_SECONDS + HEARTBEAT_SECONDS
"""Lease lapse plus one scan; the assertion allows generous slack on top (slow CI)."""

HANG_BODY = {
    "message": "Die while I talk",
    "agents": ["offline", "offline-2"],
    "models": {"offline-2": "fault-hang"},
}


@pytest.fixture
def pair(tmp_path: object, redis_url: str, postgres_admin_url: str) -> Iterator[Cluster]:
    with cluster(
        tmp_path,  # type: ignore[arg-type]
        redis_url=redis_url,
        postgres_admin_url=postgres_admin_url,
        REPLICA_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
        REPLICA_LEASE_SECONDS=str(LEASE_SECONDS),
        SIM_TTFT_MS="20",
        SIM_TOKENS_PER_SECOND="20",
        SIM_ANSWER_TOKENS="400",
    ) as group:
        group.start("a", "b")
        yield group


def test_sigkill_mid_turn_interrupts_its_runs_and_ends_readers_on_b(pair: Cluster) -> None:
    a, b = pair["a"], pair["b"]
    survivor_head = streams.start(b.base_url, HANG_BODY, limit=2)
    survivor_turn = survivor_head[0].data["turn_id"]
    head = streams.start(a.base_url, HANG_BODY, limit=1)
    turn_id = head[0].data["turn_id"]
    with ThreadPoolExecutor(2) as pool:
        reader = streams.Follower(pool, b.base_url, "GET", f"/chat/streaming/{turn_id}", after=0)
        reader.wait_for(lambda events: streams.deltas(events) >= 3)

        a.kill()
        killed_at = time.monotonic()
        turn = streams.wait_for_turn(b.base_url, turn_id, streams.ended, timeout=60)
        detected_in = time.monotonic() - killed_at
        events = reader.result(timeout=30)

    assert turn["status"] == "interrupted"
    assert {r["status"] for r in turn["runs"]} == {"interrupted"}
    assert detected_in < DETECTION_BOUND * 3 + 5, f"took {detected_in:.1f}s"

    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "seq goes on"
    assert events[-1].type == "turn_done" and events[-1].data["status"] == "interrupted"
    ended = [e for e in events if e.type == "run_error"]
    assert sorted(e.data["run_id"] for e in ended) == sorted(r["run_id"] for r in turn["runs"])
    assert all(e.data["error"]["code"] == "interrupted" for e in ended)
    texts = texts_by_run(events)
    for run in turn["runs"]:
        assert run["output"] == texts.get(run["run_id"], ""), "partial text is kept"
    assert streams.resume(b.base_url, turn_id, 0) == events, "a later resume: the same stream"

    still = httpx.get(f"{b.base_url}/chat/turns/{survivor_turn}").json()
    assert still["status"] == "running", "the survivor's own turn is left alone"
    assert httpx.post(f"{b.base_url}/chat/turns/{survivor_turn}/cancel").status_code == 202
    assert streams.wait_for_turn(b.base_url, survivor_turn, streams.ended)["status"] == "cancelled"


def test_cancel_of_a_dead_replicas_turn_is_a_conflict(pair: Cluster) -> None:
    a, b = pair["a"], pair["b"]
    head = streams.start(a.base_url, HANG_BODY, limit=2)
    turn_id = head[0].data["turn_id"]
    a.kill()
    response = httpx.post(f"{b.base_url}/chat/turns/{turn_id}/cancel")
    assert response.status_code == 409, response.text
    turn = streams.wait_for_turn(b.base_url, turn_id, streams.ended, timeout=60)
    assert turn["status"] == "interrupted"
    # What A served from memory may not have reached Redis before it died: a resume past
    # what survived is told to restart (409 stream_reset), and reading again works.
    resumed = httpx.get(
        f"{b.base_url}/chat/streaming/{turn_id}", headers={"Last-Event-ID": str(head[-1].seq)}
    )
    if resumed.status_code == 409:
        assert resumed.json()["error"]["code"] == "stream_reset"
        tail = streams.resume(b.base_url, turn_id, 0)
        assert tail[0].type == "turn_started"
    else:
        tail = streams.resume(b.base_url, turn_id, head[-1].seq)
    assert tail[-1].type == "turn_done" and tail[-1].data["status"] == "interrupted"

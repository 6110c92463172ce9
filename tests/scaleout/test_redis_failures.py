"""Redis missing at start-up, and Redis lost (then back, empty) while a turn runs.

Start-up with an unreachable `REDIS_URL` must fail the process with a message that names
host:port and never the password. Losing Redis mid-turn must end the streams that can no
longer be served with an `error` event while the runs go on and persist; once a Redis
is back (here: restarted empty) the replica publishes the ended turn again, so a resume
gets the whole stream. These tests run their own throwaway `redis-server`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis

from tests.scaleout import _streams as streams
from tests.scaleout._replicas import BASE_ENV, Cluster, cluster
from tests.support.eventually import eventually
from tests.support.processes import launch_chatwait
from tests.support.servers import free_port
from tests.support.sse import texts_by_run

BODY = {"message": "Keep going without Redis", "agents": ["offline", "offline-2"]}


class RedisServer:
    """A `redis-server` of our own on a free port, without persistence."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        self.process = subprocess.Popen(
            [binary, *args, "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answering() -> bool:
            with redis.Redis(port=self.port) as client:
                return bool(client.ping())

        eventually(
            answering,
            timeout=30,
            message="redis-server did not start",
            ignoring=(redis.RedisError,),
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def test_unreachable_redis_at_start_up_exits_non_zero_naming_host_and_port(
    tmp_path: Path,
) -> None:
    port = free_port()
    password = "hunter2-not-for-logs"
    replica = launch_chatwait(
        tmp_path / "lonely",
        name="lonely",
        **{**BASE_ENV, "REDIS_URL": f"redis://:{password}@127.0.0.1:{port}/0"},
    )
    try:
        replica.process.wait(60)
    finally:
        replica.kill()
    output = replica.log_text()
    assert replica.process.returncode != 0
    assert f"127.0.0.1:{port}" in output and "unreachable" in output
    assert password not in output


@pytest.fixture
def single(tmp_path: Path, own_redis: RedisServer, postgres_admin_url: str) -> Iterator[Cluster]:
    with cluster(
        tmp_path,
        redis_url=own_redis.url,
        postgres_admin_url=postgres_admin_url,
        REPLICA_HEARTBEAT_SECONDS="0.25",
        SIM_TTFT_MS="20",
        SIM_TOKENS_PER_SECOND="20",
        SIM_ANSWER_TOKENS="40",
    ) as group:
        group.start("a")
        yield group


@pytest.mark.postgres
def test_losing_redis_mid_turn_leaves_this_replicas_streams_going_and_catches_redis_up(
    single: Cluster, own_redis: RedisServer
) -> None:
    """The replica running a turn serves its readers from memory: Redis going away mid-turn
    stops nothing there, and the turn reaches Redis whole once Redis is back (empty)."""
    a = single["a"]
    (b,) = single.start("b", SIM_TOKENS_PER_SECOND="1", SIM_ANSWER_TOKENS="600")
    on_b = streams.start(b.base_url, BODY, limit=1)[0].data["turn_id"]  # runs for minutes
    with ThreadPoolExecutor(1) as pool:
        follower = streams.Follower(pool, a.base_url, "POST", "/chat/streaming", json_body=BODY)
        follower.wait_for(lambda events: streams.deltas(events) >= 3)
        own_redis.kill()
        head = follower.result(timeout=60)

    assert head[-1].type == "turn_done" and head[-1].data["status"] == "done"
    assert [e.seq for e in head] == list(range(1, len(head) + 1))
    turn_id = head[0].data["turn_id"]
    assert streams.resume(a.base_url, turn_id, 0) == head, "a resume here: from memory"
    elsewhere = streams.resume(a.base_url, on_b, 0)
    assert [e.type for e in elsewhere] == ["error"], "b's turn, only Redis could hold: an error"
    assert elsewhere[0].data["error"]["code"] == "event_log_unavailable"
    assert streams.start(a.base_url, BODY)[-1].type == "turn_done"
    waited = httpx.post(f"{a.base_url}/chat/wait", json=BODY, timeout=60)
    assert waited.status_code == 200 and waited.json()["status"] == "done", waited.text

    turn = streams.wait_for_turn(a.base_url, turn_id, streams.ended)
    assert turn["status"] == "done"
    texts = texts_by_run(head)
    assert all(texts[r["run_id"]] == r["output"] for r in turn["runs"])

    own_redis.start()  # same port, empty: the turn's keys are gone
    events_key, meta = (f"{single.prefix}:turn:{{{turn_id}}}:{k}" for k in ("events", "meta"))
    with redis.Redis.from_url(own_redis.url, decode_responses=True) as admin:
        eventually(
            lambda: admin.hget(meta, "finished") == "1",
            timeout=30,
            message="the ended turn was never published again",
        )
        entries = [(i, f) for i, f in admin.xrange(events_key) if i.endswith("-0")]
    assert [int(i.split("-")[0]) for i, _ in entries] == [e.seq for e in head]
    assert [f["t"] for _, f in entries] == [e.type for e in head]

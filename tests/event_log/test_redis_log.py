"""What the Redis event log adds to the shared contract: replicas, retention, failure.

Every test works under its own key prefix (also the prefix of its connection names, so
`CLIENT LIST` shows exactly this test's blocked readers) and deletes its keys after.
Without a Redis on 127.0.0.1:6379 the tests skip; the ones that need a Redis to die start
their own throwaway `redis-server` on a free port.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
import redis
from redis.asyncio import Redis

from chatwait.event_log import EventLogUnavailable, LoggedEvent, SeqRefused
from chatwait.event_log.redis import RedisEventLog, RedisLogUnreachable
from tests.support.eventually import eventually, eventually_async

REDIS_URL = "redis://127.0.0.1:6379/0"

pytestmark = pytest.mark.redis

LogFactory = Callable[..., Awaitable[RedisEventLog]]


@pytest.fixture(scope="module")
def redis_available() -> None:
    """Skip the module, with the reason, when the shared Redis is not running."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at 127.0.0.1:6379 is not reachable: {exc}")
    finally:
        client.close()


@pytest.fixture
def prefix() -> str:
    return f"chatwait-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def admin(redis_available: None, prefix: str) -> AsyncIterator[Redis]:
    """A plain client for inspecting keys and clients; deletes the test's keys at the end."""
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def make_log(admin: Redis, prefix: str) -> AsyncIterator[LogFactory]:
    """Started logs on the shared Redis under this test's prefix, closed at the end."""
    logs: list[RedisEventLog] = []

    async def make(**options: object) -> RedisEventLog:
        log = RedisEventLog(REDIS_URL, key_prefix=prefix, **options)  # type: ignore[arg-type]
        await log.start()
        logs.append(log)
        return log

    yield make
    for log in logs:
        await log.close()


def free_port() -> int:
    """A port the OS says is free on 127.0.0.1 (nothing listens on it afterwards)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _event(seq: int, kind: str = "delta") -> LoggedEvent:
    return LoggedEvent(seq=seq, type=kind, data=f'{{"n": {seq}}}')


def _turn() -> str:
    return f"turn-{uuid.uuid4().hex}"


async def _blocked_readers(admin: Redis, prefix: str) -> int:
    """How many of this test's connections Redis reports blocked in XREAD."""
    name = f"{prefix}:events:wait"
    clients = await admin.client_list()
    return sum(
        1
        for c in clients
        if c.get("name") == name and c.get("cmd") == "xread" and "b" in c.get("flags", "")
    )


async def _until_blocked(admin: Redis, prefix: str, count: int, within: float = 10) -> None:
    """Wait until `count` readers are really blocked in Redis, so a wake-up is a wake-up."""
    blocked = 0

    async def all_blocked() -> bool:
        nonlocal blocked
        blocked = await _blocked_readers(admin, prefix)
        return blocked >= count

    await eventually_async(
        all_blocked,
        timeout=within,
        interval=0.01,
        message=lambda: f"{blocked} of {count} readers blocked",
    )


async def test_a_reader_on_another_replica_wakes_on_the_writers_append(
    make_log: LogFactory, admin: Redis, prefix: str
) -> None:
    writer, reader = await make_log(), await make_log()
    turn = _turn()
    await writer.append(turn, _event(1, "turn_started"))
    first = await reader.read(turn, 0, wait=0)
    assert first is not None and first.events == [_event(1, "turn_started")]

    waiting = asyncio.create_task(reader.read(turn, 1, wait=30))
    await _until_blocked(admin, prefix, 1)
    await writer.append(turn, _event(2))
    woken = await asyncio.wait_for(waiting, 10)
    assert woken is not None and woken.events == [_event(2)] and woken.last_seq == 2


async def test_finish_wakes_a_reader_already_past_the_last_event(
    make_log: LogFactory, admin: Redis, prefix: str
) -> None:
    """The reader holds every event, so only `finish` itself can wake it (the marker)."""
    writer, reader = await make_log(), await make_log()
    turn = _turn()
    await writer.append(turn, _event(1, "turn_started"))
    await writer.append(turn, _event(2, "turn_done"))
    waiting = asyncio.create_task(reader.read(turn, 2, wait=30))
    await _until_blocked(admin, prefix, 1)
    await writer.finish(turn)
    woken = await asyncio.wait_for(waiting, 10)
    assert woken is not None and woken.finished and woken.events == [] and woken.last_seq == 2
    everything = await reader.read(turn, 0, wait=30)
    assert everything is not None and [e.seq for e in everything.events] == [1, 2]


async def test_finish_replaces_the_live_ttl_with_the_retention_ttl(
    make_log: LogFactory, admin: Redis
) -> None:
    log = await make_log(ttl_seconds=60, live_ttl_seconds=3600)
    turn = _turn()
    await log.append(turn, _event(1))
    for key in log.keys(turn):
        assert 1800 < await admin.ttl(key) <= 3600
    await log.finish(turn)
    for key in log.keys(turn):
        assert 0 < await admin.ttl(key) <= 60


async def test_live_ttl_is_rearmed_only_when_half_is_gone(
    make_log: LogFactory, admin: Redis
) -> None:
    log = await make_log(live_ttl_seconds=100)
    turn = _turn()
    await log.append(turn, _event(1))
    stream, meta = log.keys(turn)
    for key in (stream, meta):
        await admin.pexpire(key, 60_000)
    await log.append(turn, _event(2))
    assert await admin.pttl(meta) <= 60_000, "re-armed with more than half left"
    for key in (stream, meta):
        await admin.pexpire(key, 40_000)
    await log.append(turn, _event(3))
    for key in (stream, meta):
        assert await admin.pttl(key) > 60_000, "not re-armed with less than half left"


async def test_reading_after_trimmed_events_answers_none(
    make_log: LogFactory, admin: Redis
) -> None:
    log = await make_log(max_events_per_turn=10)
    turn = _turn()
    for seq in range(1, 1001):
        await log.append(turn, _event(seq))
    assert await admin.xlen(log.keys(turn)[0]) < 1000
    assert await log.read(turn, 0, wait=0) is None
    tail = await log.read(turn, 995, wait=0)
    assert tail is not None and [e.seq for e in tail.events] == [996, 997, 998, 999, 1000]


async def test_a_gap_in_seq_is_refused_and_a_repeated_last_seq_is_ignored(
    make_log: LogFactory,
) -> None:
    """A retry after a lost reply re-sends the last seq; that must not fail the turn."""
    log = await make_log()
    turn = _turn()
    await log.append(turn, _event(1))
    await log.append(turn, _event(1))
    with pytest.raises(SeqRefused, match="2 expected"):
        await log.append(turn, _event(3))
    read = await log.read(turn, 0, wait=0)
    assert read is not None and [e.seq for e in read.events] == [1]


async def test_finishing_an_unknown_turn_leaves_nothing_behind(
    make_log: LogFactory, admin: Redis
) -> None:
    log = await make_log()
    turn = _turn()
    await log.finish(turn)
    assert await log.read(turn, 0, wait=0) is None
    assert await admin.exists(*log.keys(turn)) == 0


async def test_two_hundred_blocked_readers_all_wake_on_one_append(
    make_log: LogFactory, admin: Redis, prefix: str
) -> None:
    writer, reader = await make_log(), await make_log()
    turn = _turn()
    await writer.append(turn, _event(1))
    readers = [asyncio.create_task(reader.read(turn, 1, wait=60)) for _ in range(200)]
    await _until_blocked(admin, prefix, 200, within=30)
    await writer.append(turn, _event(2))
    reads = await asyncio.wait_for(asyncio.gather(*readers), 30)
    assert all(r is not None and r.events == [_event(2)] for r in reads)


async def test_a_cancelled_reader_gives_back_its_blocking_slot(
    make_log: LogFactory, admin: Redis, prefix: str
) -> None:
    """A client disconnect cancels its reader mid-XREAD; the one slot must be reusable."""
    writer, reader = await make_log(), await make_log(max_blocking_readers=1)
    turn = _turn()
    await writer.append(turn, _event(1))
    cancelled = asyncio.create_task(reader.read(turn, 1, wait=60))
    await _until_blocked(admin, prefix, 1)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    waiting = asyncio.create_task(reader.read(turn, 1, wait=60))
    await _until_blocked(admin, prefix, 1)
    await writer.append(turn, _event(2))
    woken = await asyncio.wait_for(waiting, 10)
    assert woken is not None and woken.events == [_event(2)]


async def test_a_reader_without_a_free_slot_gets_an_empty_read(
    make_log: LogFactory, admin: Redis, prefix: str
) -> None:
    """Overload slows wake-ups down; it never fails a stream."""
    writer, reader = await make_log(), await make_log(max_blocking_readers=1)
    turn = _turn()
    await writer.append(turn, _event(1))
    holder = asyncio.create_task(reader.read(turn, 1, wait=60))
    await _until_blocked(admin, prefix, 1)
    starved = await reader.read(turn, 1, wait=0.05)
    assert starved is not None and starved.events == [] and starved.last_seq == 1
    await writer.append(turn, _event(2))
    held = await asyncio.wait_for(holder, 10)
    assert held is not None and held.events == [_event(2)]


async def test_close_returns_waiting_readers_and_refuses_new_calls(
    make_log: LogFactory, admin: Redis, prefix: str
) -> None:
    writer = await make_log()
    reader = RedisEventLog(REDIS_URL, key_prefix=prefix)
    await reader.start()
    turn = _turn()
    await writer.append(turn, _event(1))
    waiting = asyncio.create_task(reader.read(turn, 1, wait=60))
    await _until_blocked(admin, prefix, 1)
    await reader.close()
    read = await asyncio.wait_for(waiting, 10)
    assert read is not None and read.events == [] and not read.finished
    with pytest.raises(EventLogUnavailable):
        await reader.read(turn, 0, wait=0)


async def test_resp3_connections_read_the_same(admin: Redis, prefix: str) -> None:
    """`?protocol=3` in REDIS_URL changes reply shapes; reads must not care."""
    log = RedisEventLog(f"{REDIS_URL}?protocol=3", key_prefix=prefix)
    await log.start()
    try:
        turn = _turn()
        await log.append(turn, _event(1))
        waiting = asyncio.create_task(log.read(turn, 1, wait=30))
        await _until_blocked(admin, prefix, 1)
        await log.append(turn, _event(2))
        woken = await asyncio.wait_for(waiting, 10)
        assert woken is not None and woken.events == [_event(2)]
        await log.finish(turn)
        final = await log.read(turn, 0, wait=30)
        assert final is not None and final.finished and final.last_seq == 2
    finally:
        await log.close()


async def test_start_against_a_closed_port_names_the_address_not_the_password() -> None:
    port = free_port()
    log = RedisEventLog(f"redis://:s3cret-pass@127.0.0.1:{port}/0", socket_timeout=2)
    try:
        with pytest.raises(RedisLogUnreachable) as caught:
            await log.start()
    finally:
        await log.close()
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message
    assert "s3cret-pass" not in message and "s3cret-pass" not in repr(caught.value)
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, EventLogUnavailable)


@pytest.fixture
def own_redis() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A throwaway redis-server on a free port, for tests that kill it."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)

    def answering() -> bool:
        assert proc.poll() is None, f"redis-server on port {port} exited"
        return bool(client.ping())

    try:
        eventually(
            answering,
            timeout=10,
            interval=0.01,
            message=f"redis-server on port {port} did not start",
            ignoring=(redis.ConnectionError,),
        )
        yield proc, url
    finally:
        client.close()
        proc.kill()
        proc.wait(10)


async def test_losing_redis_mid_run_raises_event_log_unavailable(
    own_redis: tuple[subprocess.Popen[bytes], str],
) -> None:
    proc, url = own_redis
    log = RedisEventLog(url, key_prefix="chatwait-test", socket_timeout=2)
    await log.start()
    try:
        turn = _turn()
        await log.append(turn, _event(1))
        waiting = asyncio.create_task(log.read(turn, 1, wait=60))
        probe = Redis.from_url(url, decode_responses=True)
        try:
            await _until_blocked(probe, "chatwait-test", 1)
        finally:
            await probe.aclose()
        proc.terminate()
        await asyncio.to_thread(proc.wait, 10)

        with pytest.raises(EventLogUnavailable):
            await asyncio.wait_for(waiting, 10)
        with pytest.raises(EventLogUnavailable):
            await log.append(turn, _event(2))
        with pytest.raises(EventLogUnavailable):
            await log.finish(turn)
        with pytest.raises(EventLogUnavailable):
            await log.read(turn, 0, wait=0)
    finally:
        await log.close()

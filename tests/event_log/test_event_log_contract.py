"""The contract every turn event log keeps, run against each implementation."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from chatwait.event_log import (
    EventLogUnavailable,
    LoggedEvent,
    MemoryEventLog,
    SeqRefused,
    TurnEventLog,
)
from chatwait.event_log.redis import RedisEventLog
from chatwait.event_log.replicated import ReplicatedEventLog

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("replicated", marks=pytest.mark.redis),
    ]
)
async def log(request: pytest.FixtureRequest) -> AsyncIterator[TurnEventLog]:
    """One fresh log per test; more implementations join the params list."""
    if request.param == "memory":
        event_log: TurnEventLog = MemoryEventLog(ttl_seconds=60, max_turns=100)
        await event_log.start()
        yield event_log
        await event_log.close()
        return
    prefix = f"chatwait-test-{uuid.uuid4().hex[:12]}"
    event_log = RedisEventLog(REDIS_URL, ttl_seconds=60, key_prefix=prefix)
    if request.param == "replicated":
        local = MemoryEventLog(ttl_seconds=60, max_turns=100)
        event_log = ReplicatedEventLog(local, event_log, flush_seconds=0.02)
    try:
        await event_log.start()
    except EventLogUnavailable as exc:
        await event_log.close()
        pytest.skip(f"Redis at 127.0.0.1:6379 is not reachable: {exc}")
    yield event_log
    await event_log.close()
    cleanup = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in cleanup.scan_iter(match=f"{prefix}:*")]
        if keys:
            await cleanup.delete(*keys)
    finally:
        await cleanup.aclose()


def _event(seq: int, kind: str = "delta") -> LoggedEvent:
    return LoggedEvent(seq=seq, type=kind, data=f'{{"n": {seq}}}')


def _turn() -> str:
    return f"turn-{uuid.uuid4().hex}"


async def test_unknown_turn_reads_none(log: TurnEventLog) -> None:
    assert await log.read(_turn(), 0, wait=0) is None


async def test_read_after_returns_only_later_events_in_order(log: TurnEventLog) -> None:
    turn = _turn()
    for seq in range(1, 6):
        await log.append(turn, _event(seq))
    read = await log.read(turn, 2, wait=0)
    assert read is not None
    assert [e.seq for e in read.events] == [3, 4, 5]
    assert read.events[0] == _event(3)
    assert read.last_seq == 5 and not read.finished


async def test_live_turn_wait_times_out_with_no_events(log: TurnEventLog) -> None:
    turn = _turn()
    await log.append(turn, _event(1))
    read = await log.read(turn, 1, wait=0.01)
    assert read is not None and read.events == [] and not read.finished


async def test_waiting_reader_wakes_on_append(log: TurnEventLog) -> None:
    turn = _turn()
    await log.append(turn, _event(1))
    reader = asyncio.create_task(log.read(turn, 1, wait=30))
    await asyncio.sleep(0)
    await log.append(turn, _event(2))
    read = await asyncio.wait_for(reader, 10)
    assert read is not None and [e.seq for e in read.events] == [2]


async def test_finish_wakes_reader_and_reports_finished(log: TurnEventLog) -> None:
    turn = _turn()
    await log.append(turn, _event(1, "turn_started"))
    reader = asyncio.create_task(log.read(turn, 1, wait=30))
    await asyncio.sleep(0)
    await log.append(turn, _event(2, "turn_done"))
    await log.finish(turn)
    read = await asyncio.wait_for(reader, 10)
    assert read is not None
    final = await log.read(turn, read.events[-1].seq if read.events else 1, wait=30)
    assert final is not None and final.finished and final.events == []
    assert final.last_seq == 2


async def test_reading_a_finished_turn_returns_everything_after(log: TurnEventLog) -> None:
    turn = _turn()
    for seq in range(1, 4):
        await log.append(turn, _event(seq))
    await log.finish(turn)
    read = await log.read(turn, 0, wait=30)
    assert read is not None and read.finished
    assert [e.seq for e in read.events] == [1, 2, 3]


async def test_a_limited_read_is_one_batch_and_finished_only_at_the_end(
    log: TurnEventLog,
) -> None:
    turn = _turn()
    for seq in range(1, 8):
        await log.append(turn, _event(seq))
    await log.finish(turn)
    batches, after = [], 0
    while True:
        read = await log.read(turn, after, wait=30, limit=3)
        assert read is not None and read.last_seq == 7
        batches.append([e.seq for e in read.events])
        if read.finished:
            break
        after = read.events[-1].seq
    assert batches == [[1, 2, 3], [4, 5, 6], [7]]


async def test_a_limited_wait_wakes_with_at_most_limit_events(log: TurnEventLog) -> None:
    turn = _turn()
    await log.append(turn, _event(1))
    reader = asyncio.create_task(log.read(turn, 1, wait=30, limit=2))
    await asyncio.sleep(0)
    for seq in range(2, 6):
        await log.append(turn, _event(seq))
    read = await asyncio.wait_for(reader, 10)
    assert read is not None and not read.finished
    assert 1 <= len(read.events) <= 2 and read.events[0].seq == 2


async def test_turns_are_independent(log: TurnEventLog) -> None:
    first, second = _turn(), _turn()
    await log.append(first, _event(1))
    await log.append(second, _event(1))
    await log.append(second, _event(2))
    one, two = await log.read(first, 0, wait=0), await log.read(second, 0, wait=0)
    assert one is not None and two is not None
    assert (one.last_seq, two.last_seq) == (1, 2)


async def test_memory_log_expires_finished_turns_after_ttl() -> None:
    now = [0.0]
    log = MemoryEventLog(ttl_seconds=5, max_turns=10, clock=lambda: now[0])
    await log.append("t", _event(1))
    await log.finish("t")
    now[0] = 4.0
    assert await log.read("t", 0, wait=0) is not None
    now[0] = 6.0
    assert await log.read("t", 0, wait=0) is None


async def test_memory_log_caps_turns_by_evicting_finished_ones_first() -> None:
    log = MemoryEventLog(ttl_seconds=600, max_turns=2)
    await log.append("done", _event(1))
    await log.finish("done")
    await log.append("live", _event(1))
    await log.append("new", _event(1))
    assert await log.read("done", 0, wait=0) is None
    assert await log.read("live", 0, wait=0) is not None
    assert await log.read("new", 0, wait=0) is not None


async def test_memory_log_drops_the_earliest_finished_turn_at_the_cap() -> None:
    """The turn a client is likeliest to resume is the one that ended last, whenever it
    started."""
    log = MemoryEventLog(ttl_seconds=600, max_turns=3)
    for turn in ("early", "late"):
        await log.append(turn, _event(1))
    await log.finish("late")
    await log.finish("early")
    await log.append("third", _event(1))
    await log.append("fourth", _event(1))
    assert await log.read("late", 0, wait=0) is None
    for kept in ("early", "third", "fourth"):
        assert await log.read(kept, 0, wait=0) is not None


async def test_memory_log_lets_go_of_expired_turns_when_new_ones_start() -> None:
    now = [0.0]
    log = MemoryEventLog(ttl_seconds=5, max_turns=100, clock=lambda: now[0])
    for turn in ("a", "b", "c"):
        await log.append(turn, _event(1))
    await log.finish("a")
    now[0] = 3.0
    await log.finish("b")
    now[0] = 6.0  # a expired, b not yet, c still live
    await log.append("d", _event(1))
    assert len(log) == 3
    assert await log.read("b", 0, wait=0) is not None
    now[0] = 9.0
    await log.append("e", _event(1))
    assert len(log) == 3, "b expired too; the live c, d and e stay"
    assert await log.read("c", 0, wait=0) is not None


async def test_a_reopened_turn_is_not_dropped_as_finished() -> None:
    log = MemoryEventLog(ttl_seconds=600, max_turns=2)
    await log.append("t", _event(1))
    await log.finish("t")
    await log.reopen("t", [_event(1)])
    await log.append("u", _event(1))
    await log.append("v", _event(1))
    assert await log.read("t", 0, wait=0) is not None, "live again: never evicted"


async def test_memory_log_rejects_a_gap_in_seq() -> None:
    log = MemoryEventLog()
    await log.append("t", _event(1))
    with pytest.raises(SeqRefused):
        await log.append("t", _event(3))


async def test_a_reopened_turn_goes_on_with_its_seq_numbers(log: TurnEventLog) -> None:
    turn = _turn()
    first = [_event(1, "turn_started"), _event(2), _event(3, "turn_done")]
    for event in first:
        await log.append(turn, event)
    await log.finish(turn)
    await log.reopen(turn, first)
    waiting = asyncio.create_task(log.read(turn, 3, wait=5))
    await log.append(turn, _event(4, "run_started"))
    read = await waiting
    assert read is not None and not read.finished and [e.seq for e in read.events] == [4]
    await log.append(turn, _event(5, "turn_done"))
    await log.finish(turn)
    again = await log.read(turn, 0, wait=0)
    assert again is not None and again.finished
    assert [e.seq for e in again.events] == [1, 2, 3, 4, 5]


async def test_reopening_a_turn_the_log_forgot_seeds_it(log: TurnEventLog) -> None:
    turn = _turn()
    transcript = [_event(1, "turn_started"), _event(2, "turn_done")]
    await log.reopen(turn, transcript)
    await log.append(turn, _event(3, "run_started"))
    read = await log.read(turn, 0, wait=0)
    assert read is not None and [e.seq for e in read.events] == [1, 2, 3]

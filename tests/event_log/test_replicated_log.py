"""The replicated log: this replica's readers from memory, other replicas' from Redis.

A writer's `ReplicatedEventLog` and a plain `RedisEventLog` with the same key prefix
stand for two replicas sharing one Redis (the real one on 127.0.0.1:6379).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence

import pytest
from redis.asyncio import Redis

from chatwait.event_log import EventLogUnavailable, LoggedEvent, MemoryEventLog, RedisEventLog
from chatwait.event_log.base import SeqRefused
from chatwait.event_log.replicated import ReplicatedEventLog

pytestmark = pytest.mark.redis

REDIS_URL = "redis://127.0.0.1:6379/0"


class Replicas:
    def __init__(self, writer: ReplicatedEventLog, other: RedisEventLog, admin: Redis) -> None:
        self.writer, self.other, self.admin = writer, other, admin


@pytest.fixture
async def replicas(request: pytest.FixtureRequest) -> AsyncIterator[Replicas]:
    flush_seconds = getattr(request, "param", 0.02)
    prefix = f"chatwait-test-{uuid.uuid4().hex[:12]}"
    shared = RedisEventLog(REDIS_URL, ttl_seconds=60, key_prefix=prefix)
    writer = ReplicatedEventLog(MemoryEventLog(), shared, flush_seconds=flush_seconds)
    other = RedisEventLog(REDIS_URL, ttl_seconds=60, key_prefix=prefix)
    admin = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        await writer.start()
        await other.start()
    except EventLogUnavailable as exc:
        pytest.skip(f"Redis at 127.0.0.1:6379 is not reachable: {exc}")
    yield Replicas(writer, other, admin)
    await writer.close()
    await other.close()
    keys = [key async for key in admin.scan_iter(match=f"{prefix}:*")]
    if keys:
        await admin.delete(*keys)
    await admin.aclose()


def _event(seq: int, kind: str = "delta") -> LoggedEvent:
    return LoggedEvent(seq=seq, type=kind, data=f'{{"n":{seq}}}')


async def _follow(log: RedisEventLog, turn_id: str, until: int) -> list[LoggedEvent]:
    """Read `turn_id` on the other replica until seq `until` arrived (or the log ends)."""
    seen: list[LoggedEvent] = []
    while not seen or seen[-1].seq < until:
        read = await log.read(turn_id, seen[-1].seq if seen else 0, wait=5)
        assert read is not None or not seen, "the turn vanished from Redis"
        if read is None:
            continue
        assert read.events or not read.finished
        if not read.events:
            raise AssertionError(f"seq {until} did not arrive within 5 s; saw {len(seen)}")
        seen += read.events
    return seen


async def test_another_replica_sees_every_event_once_in_order(replicas: Replicas) -> None:
    turn = f"turn-{uuid.uuid4().hex}"
    for seq in range(1, 301):
        await replicas.writer.append(turn, _event(seq))
    seen = await _follow(replicas.other, turn, 300)
    assert [e.seq for e in seen] == list(range(1, 301))
    assert seen == [_event(seq) for seq in range(1, 301)]


@pytest.mark.parametrize("replicas", [30.0], indirect=True)
async def test_the_writers_own_readers_never_wait_for_redis(replicas: Replicas) -> None:
    """No tick within the test (30 s): local readers have everything, Redis nothing yet."""
    turn = f"turn-{uuid.uuid4().hex}"
    for seq in range(1, 11):
        await replicas.writer.append(turn, _event(seq))
    local = await replicas.writer.read(turn, 4, wait=0)
    assert local is not None and [e.seq for e in local.events] == list(range(5, 11))
    assert await replicas.other.read(turn, 0, wait=0) is None


@pytest.mark.parametrize("replicas", [30.0], indirect=True)
async def test_a_run_end_goes_to_redis_at_once_with_what_came_before(replicas: Replicas) -> None:
    turn = f"turn-{uuid.uuid4().hex}"
    for seq in range(1, 6):
        await replicas.writer.append(turn, _event(seq))
    await replicas.writer.append(turn, _event(6, "run_done"))
    seen = await _follow(replicas.other, turn, 6)
    assert [(e.seq, e.type) for e in seen][-1] == (6, "run_done")
    assert [e.seq for e in seen] == list(range(1, 7))


async def test_finish_reaches_redis_after_the_last_events(replicas: Replicas) -> None:
    turn = f"turn-{uuid.uuid4().hex}"
    for seq in range(1, 4):
        await replicas.writer.append(turn, _event(seq))
    await replicas.writer.append(turn, _event(4, "turn_done"))
    await replicas.writer.finish(turn)
    read = await replicas.other.read(turn, 0, wait=0)
    assert read is not None and read.finished and [e.seq for e in read.events] == [1, 2, 3, 4]


async def test_a_turn_redis_lost_is_sent_again_whole(replicas: Replicas) -> None:
    turn = f"turn-{uuid.uuid4().hex}"
    for seq in range(1, 5):
        await replicas.writer.append(turn, _event(seq, "run_started" if seq == 1 else "delta"))
    await _follow(replicas.other, turn, 4)
    await replicas.admin.delete(*replicas.other.keys(turn))  # as after an empty restart
    for seq in range(5, 8):
        await replicas.writer.append(turn, _event(seq))
    await replicas.writer.append(turn, _event(8, "run_done"))
    seen = await _follow(replicas.other, turn, 8)
    assert [e.seq for e in seen] == list(range(1, 9))


async def test_a_turn_a_survivor_ended_is_not_written_to_again(replicas: Replicas) -> None:
    """The writer was taken for dead: the survivor's closing events win, the writer's later
    events are refused and never mixed in."""
    turn = f"turn-{uuid.uuid4().hex}"
    await replicas.writer.append(turn, _event(1, "turn_started"))
    await _follow(replicas.other, turn, 1)
    survivor = [LoggedEvent(2, "run_error", '{"x":1}'), LoggedEvent(3, "turn_done", "{}")]
    await replicas.other.mark_reset(turn, 1)
    await replicas.other.append_many(turn, survivor)
    await replicas.other.finish(turn)
    for seq in range(2, 5):
        await replicas.writer.append(turn, _event(seq))
    await replicas.writer.append(turn, _event(5, "run_done"))
    await replicas.writer.flush_all()
    read = await replicas.other.read(turn, 0, wait=0)
    assert read is not None and read.finished and read.reset_after == 1
    assert read.events[1:] == survivor


def _watch_batches(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> list[list[tuple[str, list[int]]]]:
    """Each round trip the writer's flusher makes: (turn, seqs) per batch it carried."""
    shared = replicas.writer.shared
    sent: list[list[tuple[str, list[int]]]] = []
    original = shared.append_batches

    async def append_batches(
        batches: Sequence[tuple[str, list[LoggedEvent]]],
    ) -> list[SeqRefused | None]:
        sent.append([(turn, [e.seq for e in events]) for turn, events in batches])
        return await original(batches)

    monkeypatch.setattr(shared, "append_batches", append_batches)
    return sent


@pytest.mark.parametrize("replicas", [0.05], indirect=True)
async def test_a_tick_sends_every_turns_events_in_one_round_trip(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = _watch_batches(replicas, monkeypatch)
    turns = [f"turn-{uuid.uuid4().hex}" for _ in range(5)]
    for seq in range(1, 4):  # appends never wait: the flusher sees all of them at once
        for turn in turns:
            await replicas.writer.append(turn, _event(seq))
    for turn in turns:
        assert [e.seq for e in await _follow(replicas.other, turn, 3)] == [1, 2, 3]
    assert sent[0] == [(turn, [1, 2, 3]) for turn in turns]
    assert len(sent) == 1, "nothing was left for another round trip"


@pytest.mark.parametrize("replicas", [30.0], indirect=True)
async def test_a_run_end_sends_its_own_turn_at_once_and_leaves_others_to_the_tick(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No tick within the test (30 s): only the turn whose run ended reaches Redis."""
    sent = _watch_batches(replicas, monkeypatch)
    ending, streaming = f"turn-{uuid.uuid4().hex}", f"turn-{uuid.uuid4().hex}"
    for seq in range(1, 4):
        await replicas.writer.append(ending, _event(seq))
        await replicas.writer.append(streaming, _event(seq))
    await replicas.writer.append(ending, _event(4, "run_done"))
    assert [e.seq for e in await _follow(replicas.other, ending, 4)] == [1, 2, 3, 4]
    assert sent == [[(ending, [1, 2, 3, 4])]]
    assert await replicas.other.read(streaming, 0, wait=0) is None
    local = await replicas.writer.read(streaming, 0, wait=0)
    assert local is not None and [e.seq for e in local.events] == [1, 2, 3]


@pytest.mark.parametrize("replicas", [30.0], indirect=True)
async def test_redis_lost_again_during_a_refill_does_not_stop_the_flusher(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    lost, other_turn = f"turn-{uuid.uuid4().hex}", f"turn-{uuid.uuid4().hex}"
    await replicas.writer.append(lost, _event(1, "run_started"))
    await _follow(replicas.other, lost, 1)
    await replicas.admin.delete(*replicas.other.keys(lost))  # as after an empty restart

    async def unreachable(turn_id: str, events: list[LoggedEvent]) -> None:
        raise EventLogUnavailable("Redis went away again")

    monkeypatch.setattr(replicas.writer.shared, "append_many", unreachable)  # the refill's
    await replicas.writer.append(lost, _event(2, "run_done"))  # refused, then refill fails
    await replicas.writer.append(other_turn, _event(1, "run_started"))
    assert [e.seq for e in await _follow(replicas.other, other_turn, 1)] == [1]
    assert replicas.writer._flusher is not None and not replicas.writer._flusher.done()

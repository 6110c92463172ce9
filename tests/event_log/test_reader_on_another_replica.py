"""`TurnReader` on a replica that does not run the turn: its copy arrives in batches.

A client that saw seq N on the writer's replica and reconnects elsewhere at once can be
ahead of that replica's copy; the resume waits for it instead of calling N past the end.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from chatwait.errors import Conflict, ValidationFailed
from chatwait.event_log import (
    EventLogUnavailable,
    LoggedEvent,
    LogRead,
    MemoryEventLog,
    RedisEventLog,
)
from chatwait.event_log.replicated import ReplicatedEventLog
from chatwait.store import Database, repo, turn_rows
from chatwait.turns import StartedTurn, TurnReader

pytestmark = pytest.mark.redis

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def logs() -> AsyncIterator[tuple[ReplicatedEventLog, RedisEventLog]]:
    prefix = f"chatwait-test-{uuid.uuid4().hex[:12]}"
    shared = RedisEventLog(REDIS_URL, ttl_seconds=60, key_prefix=prefix)
    writer = ReplicatedEventLog(MemoryEventLog(), shared, flush_seconds=0.3)
    other = RedisEventLog(REDIS_URL, ttl_seconds=60, key_prefix=prefix)
    try:
        await writer.start()
        await other.start()
    except EventLogUnavailable as exc:
        pytest.skip(f"Redis at 127.0.0.1:6379 is not reachable: {exc}")
    yield writer, other
    await writer.close()
    await other.close()


def _event(seq: int, kind: str = "delta") -> LoggedEvent:
    return LoggedEvent(seq=seq, type=kind, data=f'{{"n":{seq}}}')


class _SeenMissing(RedisEventLog):
    """The shared log, telling the test when a read found no entry for the turn."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.missed = asyncio.Event()

    async def read(
        self, turn_id: str, after: int, *, wait: float, limit: int | None = None
    ) -> LogRead | None:
        found = await super().read(turn_id, after, wait=wait, limit=limit)
        if found is None:
            self.missed.set()
        return found


async def _running_turn(db: Database) -> tuple[str, str]:
    """(user id, turn id) of a turn stored as `running` with one run, as its writer
    stores it before it streams."""
    async with db.session() as session:
        user_id = await repo.ensure_user(session=session)
        turn_id = repo.new_id()
        await turn_rows.insert_turn(
            session=session,
            conversation_id=repo.new_id(),
            new_conversation=turn_rows.NewConversation(user_id, "t"),
            turn_id=turn_id,
            message="hi",
            runs=[{"run_id": repo.new_id(), "agent": "a", "provider": "offline", "model": "m"}],
            owner="replica-a",
        )
    return user_id, turn_id


async def test_a_live_turn_not_yet_in_this_replicas_copy_is_followed_to_its_end(
    db: Database,
) -> None:
    """A reader here can open a turn before the writer's first flush reaches Redis: it
    waits for the log instead of answering the stored start and ending without
    `turn_done`."""
    prefix = f"chatwait-test-{uuid.uuid4().hex[:12]}"
    shared = _SeenMissing(REDIS_URL, ttl_seconds=60, key_prefix=prefix)
    try:
        await shared.start()
    except EventLogUnavailable as exc:
        pytest.skip(f"Redis at 127.0.0.1:6379 is not reachable: {exc}")
    try:
        user_id, turn = await _running_turn(db)
        reader = TurnReader(event_log=shared, db=db)
        opening = asyncio.create_task(reader.open(turn, 0, user_id=user_id))
        await shared.missed.wait()
        logged = [_event(1, "turn_started"), _event(2, "run_started"), _event(3)]
        await shared.append_many(turn, logged)
        batches = await opening
        await shared.append_many(turn, [_event(4, "run_done"), _event(5, "turn_done")])
        await shared.finish(turn)
        streamed = [event async for batch in batches for event in batch]
        assert [e.seq for e in streamed] == [1, 2, 3, 4, 5]
        assert streamed[-1].type == "turn_done"
    finally:
        await shared.close()


async def test_a_resume_ahead_of_this_replicas_copy_waits_for_it(
    logs: tuple[ReplicatedEventLog, RedisEventLog], db: Database
) -> None:
    writer, other = logs
    turn = f"turn-{uuid.uuid4().hex}"
    await writer.append(turn, _event(1, "turn_started"))
    await writer.flush_all()  # what the flusher does at once for a turn_started
    for seq in range(2, 11):
        await writer.append(turn, _event(seq))  # sent on the next tick
    here = await other.read(turn, 0, wait=0)
    assert here is not None and here.last_seq < 10, "this replica's copy is behind"
    batches = await TurnReader(event_log=other, db=db).open_started(StartedTurn(turn), 10)
    await writer.append(turn, _event(11, "turn_done"))
    await writer.finish(turn)
    rest = [event async for batch in batches for event in batch]
    assert rest == [_event(11, "turn_done")]


async def test_past_the_end_of_an_ended_turn_is_still_a_422(
    logs: tuple[ReplicatedEventLog, RedisEventLog], db: Database
) -> None:
    writer, other = logs
    turn = f"turn-{uuid.uuid4().hex}"
    await writer.append(turn, _event(1, "turn_started"))
    await writer.append(turn, _event(2, "turn_done"))
    await writer.finish(turn)
    with pytest.raises(ValidationFailed):
        await TurnReader(event_log=other, db=db).open_started(StartedTurn(turn), 3)


async def test_past_what_a_dead_writer_replicated_is_a_stream_reset(
    logs: tuple[ReplicatedEventLog, RedisEventLog], db: Database
) -> None:
    _, other = logs
    turn = f"turn-{uuid.uuid4().hex}"
    await other.append_many(turn, [_event(1, "turn_started"), _event(2)])
    await other.mark_reset(turn, 2)  # what a survivor does before ending the turn
    await other.append_many(turn, [_event(3, "run_error"), _event(4, "turn_done")])
    await other.finish(turn)
    reader = TurnReader(event_log=other, db=db)
    tail = [e async for batch in await reader.open_started(StartedTurn(turn), 2) for e in batch]
    assert [e.seq for e in tail] == [3, 4], "a client that saw only what survived goes on"
    with pytest.raises(Conflict) as caught:
        await reader.open_started(StartedTurn(turn), 3)
    assert caught.value.code == "stream_reset"

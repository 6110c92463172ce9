"""The turns-per-minute window in the database (no REDIS_URL), below HTTP.

Two `Limits` on two engines of one database stand for two replicas (or a process before
and after a restart); a settable clock moves the minute. SQLite, or Postgres with
CHATWAIT_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from chatwait.config import Settings
from chatwait.limits import Admission, Limits, RateLimited, RunEstimate
from chatwait.store import Database, repo
from chatwait.store.rate_window import TurnStart
from tests.support.databases import throwaway_database


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
async def url(tmp_path: Path) -> AsyncIterator[str]:
    with throwaway_database(tmp_path) as database_url:
        db = Database(database_url)
        await db.upgrade()
        await db.dispose()
        yield database_url


def _limits(db: Database, clock: Clock, per_minute: int | str) -> Limits:
    values: dict[str, Any] = {
        "LIMIT_TURNS_PER_MINUTE": per_minute,
        "LIMIT_CONCURRENT_TURNS": "unlimited",
    }
    return Limits(Settings(_env_file=None, **values), db, now=clock)


async def _user(db: Database, name: str = "someone") -> str:
    async with db.session() as session:
        return await repo.ensure_user(session=session, identifier=name)


async def _start(limits: Limits, user: str, n: int | str) -> Admission:
    return await limits.admit(user_id=user, turn_id=f"turn-{n}", estimates=[RunEstimate("r", 1)])


async def _rows(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(TurnStart)) or 0)


async def test_the_window_survives_a_restart_and_resets_from_its_oldest_start(url: str) -> None:
    clock = Clock()
    before = Database(url)
    limits = _limits(before, clock, 3)
    user = await _user(before)
    for n in range(3):
        await _start(limits, user, n)
        clock.advance(20)  # starts at 0, 20 and 40 s
    await limits.close()
    await before.dispose()

    after = Database(url)  # a new process on the same database
    limits = _limits(after, clock, 3)
    clock.advance(-15)  # 45 s after the first start
    with pytest.raises(RateLimited) as refused:
        await _start(limits, user, "late")
    assert refused.value.limit == "turns_per_minute"
    assert refused.value.retry_after == 15, "when the oldest start leaves the minute"
    (turns,) = [s for s in refused.value.states if s.policy == "turns"]
    assert (turns.remaining, turns.reset) == (0, 15)
    usage = (await limits.usage(user)).limits["turns_per_minute"]
    assert usage.used == 3 and usage.remaining == 0
    assert usage.resets_at == clock.now + dt.timedelta(seconds=15)
    clock.advance(15)
    await _start(limits, user, "in time")
    await limits.close()
    await after.dispose()


async def test_concurrent_starts_on_two_replicas_let_exactly_the_limit_in(url: str) -> None:
    clock = Clock()
    one, two = Database(url), Database(url)
    replicas = [_limits(one, clock, 5), _limits(two, clock, 5)]
    user = await _user(one)

    async def start(n: int) -> bool:
        try:
            await _start(replicas[n % 2], user, n)
        except RateLimited as refused:
            assert refused.limit == "turns_per_minute"
            return False
        return True

    admitted = await asyncio.gather(*(start(n) for n in range(16)))
    assert sum(admitted) == 5
    assert await _rows(one) == 5, "a refused start counts nothing"
    for limits in replicas:
        assert (await limits.usage(user)).limits["turns_per_minute"].used == 5
        await limits.close()
    await one.dispose()
    await two.dispose()


async def test_starts_out_of_the_minute_are_swept(url: str) -> None:
    clock = Clock()
    db = Database(url)
    limits = _limits(db, clock, 2)
    idle, busy = await _user(db, "idle"), await _user(db, "busy")
    await _start(limits, idle, "idle-0")
    await _start(limits, idle, "idle-1")
    with pytest.raises(RateLimited):
        await _start(limits, idle, "idle-2")
    assert await _rows(db) == 2

    clock.advance(61)
    await _start(limits, busy, "busy-0")  # another user's start sweeps the idle user's
    assert await _rows(db) == 1
    assert (await limits.usage(idle)).limits["turns_per_minute"].used == 0
    for n in range(1, 40):
        clock.advance(30)
        await _start(limits, busy, f"busy-{n}")
    assert await _rows(db) <= 5, "about two minutes of starts at most, not all 40"
    assert (await limits.usage(busy)).limits["turns_per_minute"].used == 2
    await limits.close()
    await db.dispose()


async def test_unlimited_users_are_counted_and_zero_refuses_without_counting(url: str) -> None:
    clock = Clock()
    db = Database(url)
    user = await _user(db)
    free = _limits(db, clock, "unlimited")
    for n in range(4):
        await _start(free, user, n)
    usage = (await free.usage(user)).limits["turns_per_minute"]
    assert usage.limit is None and usage.used == 4
    shut = _limits(db, clock, 0)
    with pytest.raises(RateLimited) as refused:
        await _start(shut, user, "none")
    assert refused.value.retry_after == 60
    assert await _rows(db) == 4
    await free.close()
    await shut.close()
    await db.dispose()

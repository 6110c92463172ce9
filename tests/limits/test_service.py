"""`Limits` below HTTP: cost quota, lease expiry, periods, overrides (SQLite or Postgres)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event

from chatwait.catalog import Actor
from chatwait.config import Settings
from chatwait.limits import Limits, QuotaExceeded, RateLimited, RunEstimate, RunUsage
from chatwait.store import Database, repo
from tests.support.databases import throwaway_database

ADMIN = Actor("admin-id", "admin@example.com")


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 31, 23, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    with throwaway_database(tmp_path) as url:
        db = Database(url)
        await db.upgrade()
        try:
            yield db
        finally:
            await db.dispose()


async def _user(db: Database, name: str = "someone") -> str:
    async with db.session() as session:
        return await repo.ensure_user(session=session, identifier=name)


def _limits(db: Database, clock: Clock, **settings: object) -> Limits:
    values = {"LIMIT_TURNS_PER_MINUTE": "unlimited", "LIMIT_CONCURRENT_TURNS": "unlimited"}
    return Limits(Settings(_env_file=None, **{**values, **settings}), db, now=clock)  # type: ignore[call-arg]


async def test_cost_reservations_stop_at_the_monthly_quota(database: Database) -> None:
    clock = Clock()
    limits = _limits(database, clock, QUOTA_COST_USD_PER_MONTH=0.01)
    user = await _user(database)
    admitted = []
    for n in range(3):
        estimates = [RunEstimate(f"run-{n}", tokens=100, cost_usd=0.004)]
        admitted.append(await limits.admit(user_id=user, turn_id=f"turn-{n}", estimates=estimates))
    with pytest.raises(QuotaExceeded) as refused:
        await limits.admit(user_id=user, turn_id="turn-x", estimates=[RunEstimate("x", 1, 0.004)])
    assert refused.value.limit == "cost_usd_per_month"
    assert refused.value.retry_after <= 5, "running turns reserve it: retry when they end"
    states = {s.policy: s for s in refused.value.states}
    assert states["cost"].quota == 1 and states["cost"].unit == "usd-cents"
    assert states["cost"].remaining == 0
    assert states["cost"].reset == refused.value.retry_after, "Retry-After is not before t"
    for n, admission in enumerate(admitted):
        async with database.session() as session:
            usage = RunUsage("openai", "gpt-4o-mini", 10, 10, 0.0035)
            await limits.settle(session, admission, usage, run_id=f"run-{n}")
            await limits.end(session, admission)
    report = await limits.usage(user)
    cost = report.limits["cost_usd_per_month"]
    assert cost.used == pytest.approx(0.0105) and cost.reserved == 0 and cost.remaining == 0
    assert report.this_month.by_agent_model[0].runs == 3
    with pytest.raises(QuotaExceeded) as spent:
        await limits.admit(user_id=user, turn_id="turn-y", estimates=[RunEstimate("y", 1, 0.0)])
    resets = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    assert spent.value.retry_after == int((resets - clock.now).total_seconds())
    clock.now = resets + dt.timedelta(minutes=1)
    await limits.admit(user_id=user, turn_id="turn-z", estimates=[RunEstimate("z", 1, 0.0)])
    await limits.close()


async def test_tokens_count_per_utc_day(database: Database) -> None:
    clock = Clock()
    limits = _limits(database, clock, QUOTA_TOKENS_PER_DAY=100)
    user = await _user(database)
    admission = await limits.admit(user_id=user, turn_id="t1", estimates=[RunEstimate("r1", 50)])
    async with database.session() as session:
        await limits.settle(session, admission, RunUsage("a", "m", 80, 40, None), run_id="r1")
        await limits.end(session, admission)
    with pytest.raises(QuotaExceeded):
        await limits.admit(user_id=user, turn_id="t2", estimates=[RunEstimate("r2", 50)])
    clock.now += dt.timedelta(hours=2)  # past midnight UTC
    report = await limits.usage(user)
    assert report.limits["tokens_per_day"].used == 0 and report.today.tokens == 0
    assert report.this_month.tokens == 0, "a new month too (31 March → 1 April)"
    await limits.admit(user_id=user, turn_id="t2", estimates=[RunEstimate("r2", 50)])
    await limits.close()


async def test_a_lease_nobody_ended_stops_counting_when_it_expires(database: Database) -> None:
    clock = Clock()
    limits = _limits(database, clock, LIMIT_CONCURRENT_TURNS=1, RUN_TIMEOUT_SECONDS=60)
    user = await _user(database)
    await limits.admit(user_id=user, turn_id="crashed", estimates=[RunEstimate("r", 1)])
    with pytest.raises(RateLimited) as refused:
        await limits.admit(user_id=user, turn_id="next", estimates=[RunEstimate("r2", 1)])
    assert refused.value.limit == "concurrent_turns"
    clock.now += dt.timedelta(seconds=60 + 121)
    await limits.admit(user_id=user, turn_id="next", estimates=[RunEstimate("r2", 1)])
    await limits.close()


async def test_overrides_beat_defaults_per_user(database: Database) -> None:
    clock = Clock()
    limits = _limits(database, clock, LIMIT_CONCURRENT_TURNS=1)
    strict, free = await _user(database, "strict"), await _user(database, "free")
    await limits.set_overrides(strict, {"concurrent_turns": 0}, actor=ADMIN)
    await limits.set_overrides(free, {"concurrent_turns": "unlimited"}, actor=ADMIN)
    with pytest.raises(RateLimited):
        await limits.admit(user_id=strict, turn_id="s", estimates=[RunEstimate("s", 1)])
    for n in range(3):
        await limits.admit(user_id=free, turn_id=f"f{n}", estimates=[RunEstimate(f"f{n}", 1)])
    assert await limits.set_overrides(strict, {"concurrent_turns": None}, actor=ADMIN) == {}
    await limits.admit(user_id=strict, turn_id="s", estimates=[RunEstimate("s", 1)])
    await limits.close()


async def test_zero_turns_per_minute_refuses_every_turn(database: Database) -> None:
    limits = _limits(database, Clock(), LIMIT_TURNS_PER_MINUTE=0)
    user = await _user(database)
    with pytest.raises(RateLimited) as refused:
        await limits.admit(user_id=user, turn_id="t", estimates=[RunEstimate("r", 1)])
    assert refused.value.retry_after == 60
    assert await limits.usage(user) is not None
    await limits.close()


async def test_an_unreachable_redis_lets_turns_through_uncounted(database: Database) -> None:
    clock = Clock()
    limits = _limits(database, clock, LIMIT_TURNS_PER_MINUTE=1, REDIS_URL="redis://127.0.0.1:9/0")
    user = await _user(database)
    for n in range(2):
        await limits.admit(user_id=user, turn_id=f"t{n}", estimates=[RunEstimate(f"r{n}", 1)])
    assert (await limits.usage(user)).limits["concurrent_turns"].used == 2
    await limits.close()


async def test_an_admission_is_one_read_of_the_users_standing_and_two_inserts(
    database: Database,
) -> None:
    """Every turn start pays for its admission on the event loop its streams share: the
    user's overrides, leases and usage are read in one statement, the window in one, and
    the lease and the window's count are two inserts (plus the user's row lock on
    Postgres). Its answer still counts everything (the turn's own reservation, the rate)."""
    clock = Clock()
    limits = _limits(database, clock, LIMIT_TURNS_PER_MINUTE=10, QUOTA_TOKENS_PER_DAY=1000)
    user = await _user(database)
    await limits.admit(user_id=user, turn_id="warm", estimates=[RunEstimate("w", 100, 0.0)])
    statements: list[str] = []

    def executed(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()[:3]).upper())

    event.listen(database.engine.sync_engine, "before_cursor_execute", executed)
    try:
        admission = await limits.admit(
            user_id=user, turn_id="counted", estimates=[RunEstimate("r", 100, 0.0)]
        )
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", executed)
    kinds = [s.split()[0] for s in statements if not s.startswith("BEGIN")]
    postgres = database.engine.dialect.name == "postgresql"
    assert kinds == [*(["SELECT"] if postgres else []), "SELECT", "SELECT", "INSERT", "INSERT"]
    states = {state.policy: state for state in admission.states}
    assert (states["turns"].remaining, states["tokens"].remaining) == (8, 800)

"""The limits layer's SQL: leases, the usage ledger, overrides (every call takes the user)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from chatwait.store.models import TurnLease, UsageDaily, User, UserLimitOverrides, utcnow


@dataclass(frozen=True, slots=True)
class Held:
    """A user's live leases: running turns and what they still reserve."""

    turns: int = 0
    tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class Settled:
    tokens_today: int = 0
    cost_month: float = 0.0


async def lock_user(*, session: AsyncSession, user_id: str) -> None:
    """Serialise a user's admissions: a row lock on Postgres. SQLite needs no statement:
    the session's `BEGIN IMMEDIATE` already made it the database's one writer."""
    if session.get_bind().dialect.name != "sqlite":
        await session.execute(select(User.id).where(User.id == user_id).with_for_update())


def _standing_query() -> Any:
    """Overrides, live leases and settled usage of `:user_id` as one row (built once)."""
    user = bindparam("user_id", type_=TurnLease.user_id.type)
    now = bindparam("now", type_=TurnLease.expires_at.type)
    day = bindparam("day", type_=UsageDaily.day.type)
    month_start = bindparam("month_start", type_=UsageDaily.day.type)
    leases = (TurnLease.user_id == user) & (TurnLease.expires_at > now)
    ledger = (UsageDaily.user_id == user) & (UsageDaily.day >= month_start)
    today_tokens = func.sum(UsageDaily.input_tokens + UsageDaily.output_tokens).filter(
        UsageDaily.day == day
    )
    return select(
        select(UserLimitOverrides.overrides)
        .where(UserLimitOverrides.user_id == user)
        .scalar_subquery(),
        select(func.count()).where(leases).scalar_subquery(),
        select(func.coalesce(func.sum(TurnLease.tokens), 0)).where(leases).scalar_subquery(),
        select(func.coalesce(func.sum(TurnLease.cost_usd), 0.0)).where(leases).scalar_subquery(),
        select(func.coalesce(today_tokens, 0)).where(ledger).scalar_subquery(),
        select(func.coalesce(func.sum(UsageDaily.cost_usd), 0.0)).where(ledger).scalar_subquery(),
    )


_STANDING = _standing_query()


async def standing(
    *, session: AsyncSession, user_id: str, now: datetime, day: str, month_start: str
) -> tuple[dict[str, Any], Held, Settled]:
    """(overrides, held, settled) in one statement: what an admission decides on."""
    params = {"user_id": user_id, "now": now, "day": day, "month_start": month_start}
    values, turns, tokens, cost, today, month = (await session.execute(_STANDING, params)).one()
    held = Held(int(turns), int(tokens), float(cost))
    return dict(values or {}), held, Settled(int(today), float(month))


async def overrides(*, session: AsyncSession, user_id: str) -> dict[str, Any]:
    row = await session.get(UserLimitOverrides, user_id)
    return dict(row.overrides) if row is not None else {}


async def all_overrides(*, session: AsyncSession) -> dict[str, dict[str, Any]]:
    rows = await session.scalars(select(UserLimitOverrides))
    return {row.user_id: dict(row.overrides) for row in rows}


async def save_overrides(*, session: AsyncSession, user_id: str, values: dict[str, Any]) -> None:
    row = await session.get(UserLimitOverrides, user_id)
    if row is None:
        session.add(UserLimitOverrides(user_id=user_id, overrides=values))
    else:
        row.overrides = values
        row.updated_at = utcnow()


_ADD_LEASE = insert(TurnLease)
_SHRINK_LEASE = (
    update(TurnLease)
    .where(TurnLease.turn_id == bindparam("b_turn_id", type_=TurnLease.turn_id.type))
    .values(
        tokens=TurnLease.tokens - bindparam("b_tokens", type_=TurnLease.tokens.type),
        cost_usd=TurnLease.cost_usd - bindparam("b_cost", type_=TurnLease.cost_usd.type),
    )
)
_DROP_LEASE = delete(TurnLease).where(
    TurnLease.turn_id == bindparam("b_turn_id", type_=TurnLease.turn_id.type)
)
"""A lease's statements run at every turn: built once, values bound at execution."""


async def add_lease(
    *,
    session: AsyncSession,
    turn_id: str,
    user_id: str,
    tokens: int,
    cost_usd: float,
    expires_at: datetime,
) -> None:
    values = {
        "turn_id": turn_id,
        "user_id": user_id,
        "tokens": tokens,
        "cost_usd": cost_usd,
        "created_at": utcnow(),
        "expires_at": expires_at,
    }
    await session.execute(_ADD_LEASE, values)


async def shrink_lease(
    *, session: AsyncSession, turn_id: str, tokens: int, cost_usd: float
) -> None:
    """A run settled: its reservation is no longer held."""
    params = {"b_turn_id": turn_id, "b_tokens": tokens, "b_cost": cost_usd}
    await session.execute(_SHRINK_LEASE, params)


async def drop_lease(*, session: AsyncSession, turn_id: str) -> None:
    await session.execute(_DROP_LEASE, {"b_turn_id": turn_id})


async def drop_all_leases(*, session: AsyncSession) -> int:
    """A lone process starting: every lease is a previous process's turn."""
    result = await session.execute(delete(TurnLease))
    return int(getattr(result, "rowcount", 0) or 0)


def _usage_upsert(dialect: str) -> Any:
    """Add one run's usage to its ledger row, or start the row (values bound later)."""
    insert_for = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert_for(UsageDaily)
    table = UsageDaily.__table__.c
    return statement.on_conflict_do_update(
        index_elements=["user_id", "day", "agent", "model"],
        set_={
            name: table[name] + statement.excluded[name]
            for name in ("runs", "input_tokens", "output_tokens", "cost_usd")
        },
    )


_USAGE_UPSERTS = {dialect: _usage_upsert(dialect) for dialect in ("postgresql", "sqlite")}
"""Every run's end books its usage: built once per dialect."""


async def add_usage(
    *,
    session: AsyncSession,
    user_id: str,
    day: str,
    agent: str,
    model: str,
    input_tokens: int,
    output_tokens: int,
    cost_usd: float,
) -> None:
    """Add one run to the ledger: an upsert, so parallel runs never collide on a row."""
    values = {
        "user_id": user_id,
        "day": day,
        "agent": agent,
        "model": model,
        "runs": 1,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cost_usd": cost_usd,
    }
    await session.execute(_USAGE_UPSERTS[session.get_bind().dialect.name], values)


async def ledger(*, session: AsyncSession, user_id: str | None, since: str) -> list[UsageDaily]:
    """Ledger rows from day `since` on: one user's, or everyone's (`None`)."""
    query = select(UsageDaily).where(UsageDaily.day >= since)
    if user_id is not None:
        query = query.where(UsageDaily.user_id == user_id)
    return list(await session.scalars(query.order_by(UsageDaily.agent, UsageDaily.model)))


async def users(*, session: AsyncSession) -> list[tuple[str, str | None]]:
    """(id, email) of every user, oldest first."""
    rows = await session.execute(select(User.id, User.email).order_by(User.created_at))
    return [(user_id, email) for user_id, email in rows]

"""The turns-per-minute window in the database (no REDIS_URL): one row per turn start.

A user's turns in the last minute are their rows newer than a minute; the oldest of them
says when the window next has room. Rows older than the window are swept (`prune`), so
the table holds about a minute or two of turn starts, never more. Callers serialise one
user's starts (the admission transaction locks the user's row; SQLite has one writer).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chatwait.store.models import Base

PRUNE_LOCK = (0x6368_6174, 0x7261_7465)
"""Postgres advisory lock ("chat", "rate") one sweep at a time holds: two replicas deleting
the same old rows in different orders could deadlock each other."""


class TurnStart(Base):
    """One turn start counted in its user's moving minute."""

    __tablename__ = "turn_rate_window"
    __table_args__ = (
        Index("ix_turn_rate_window_user", "user_id", "allowance", "started_at"),
        Index("ix_turn_rate_window_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"))
    allowance: Mapped[int] = mapped_column(Integer)
    """Turns a minute the start was counted under: a window is keyed by its size, as the
    `limits` library keys its windows, so a changed limit starts a fresh one."""
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_WINDOW = select(func.count(), func.min(TurnStart.started_at)).where(
    TurnStart.user_id == bindparam("user_id", type_=TurnStart.user_id.type),
    TurnStart.allowance == bindparam("allowance", type_=TurnStart.allowance.type),
    TurnStart.started_at > bindparam("since", type_=TurnStart.started_at.type),
)
_ADD_START = insert(TurnStart)
"""Both run at every turn's admission: built once, values bound at execution."""


async def window(
    *, session: AsyncSession, user_id: str, allowance: int, since: datetime
) -> tuple[int, datetime | None]:
    """(starts after `since`, the oldest of them) in the user's window of this size."""
    params = {"user_id": user_id, "allowance": allowance, "since": since}
    count, oldest = (await session.execute(_WINDOW, params)).one()
    return int(count), oldest


async def add_start(*, session: AsyncSession, user_id: str, allowance: int, at: datetime) -> None:
    await session.execute(
        _ADD_START, {"user_id": user_id, "allowance": allowance, "started_at": at}
    )


async def prune(*, session: AsyncSession, before: datetime) -> int:
    """Delete every user's starts at or before `before` (out of any window); the count.

    On Postgres only one transaction sweeps at a time; another finds the lock taken and
    skips (0): the one holding it deletes the same rows.
    """
    if session.get_bind().dialect.name == "postgresql":
        taken = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:a, :b)"),
            {"a": PRUNE_LOCK[0], "b": PRUNE_LOCK[1]},
        )
        if not taken:
            return 0
    result = await session.execute(delete(TurnStart).where(TurnStart.started_at <= before))
    return int(getattr(result, "rowcount", 0) or 0)

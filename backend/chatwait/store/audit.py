"""The audit log: every admin change, written in the transaction that makes it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chatwait.store.models import AuditEntry


async def record(
    *,
    session: AsyncSession,
    actor_id: str,
    actor_email: str | None,
    action: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """One row: `actor` did `action` to `target`, which went from `before` to `after`."""
    session.add(
        AuditEntry(
            actor_id=actor_id,
            actor_email=actor_email,
            action=action,
            target=target,
            before=before,
            after=after,
        )
    )
    await session.flush()


async def entries(
    *, session: AsyncSession, limit: int, before_id: int | None = None
) -> Sequence[AuditEntry]:
    """Newest first; `before_id` pages on past an earlier answer's last row."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return (await session.scalars(query)).all()

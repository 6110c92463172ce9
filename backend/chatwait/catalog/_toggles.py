"""The admin's agent toggles, in the database and read by every replica.

A replica reads the whole (small) table at most once per `cache_seconds`
(AGENT_SETTINGS_CACHE_SECONDS) and at once after a change it made itself, so a toggle
reaches every replica within that time, with no restart and no message between them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from chatwait.providers import AgentPolicy
from chatwait.store import Database, audit
from chatwait.store.models import AgentSetting, AuditEntry, utcnow


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change, as the audit log names them."""

    user_id: str
    email: str | None


@dataclass(frozen=True, slots=True)
class Toggle:
    """One stored toggle and when and by whom it was last set."""

    policy: AgentPolicy
    updated_at: datetime | None = None
    updated_by: str | None = None


def _state(policy: AgentPolicy) -> dict[str, Any]:
    models = list(policy.models) if policy.models is not None else None
    return {"enabled": policy.enabled, "models": models}


class AgentToggles:
    def __init__(
        self,
        db: Database,
        *,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._seconds = cache_seconds
        self._clock = clock
        self._read: tuple[float, dict[str, Toggle]] | None = None

    async def current(self, *, fresh: bool = False) -> dict[str, Toggle]:
        """Every stored toggle by agent name (an agent without one is open); `fresh`
        reads the table whatever the cache holds (what an admin is shown)."""
        if not fresh and self._read is not None and self._read[0] > self._clock():
            return self._read[1]
        async with self._db.session() as session:
            rows = await session.scalars(select(AgentSetting))
            toggles = {
                row.agent: Toggle(
                    AgentPolicy(row.enabled, tuple(row.models) if row.models is not None else None),
                    row.updated_at.replace(tzinfo=row.updated_at.tzinfo or UTC),
                    row.updated_by,
                )
                for row in rows
            }
        self._read = (self._clock() + self._seconds, toggles)
        return toggles

    async def policies(self) -> dict[str, AgentPolicy]:
        return {name: toggle.policy for name, toggle in (await self.current()).items()}

    async def set(self, actor: Actor, agent: str, policy: AgentPolicy) -> AgentPolicy:
        """Store `policy` for `agent` and audit the change; returns the policy before."""
        async with self._db.session() as session:
            row = await session.get(AgentSetting, agent)
            before = AgentPolicy()
            if row is None:
                row = AgentSetting(agent=agent)
                session.add(row)
            else:
                models = tuple(row.models) if row.models is not None else None
                before = AgentPolicy(row.enabled, models)
            row.enabled = policy.enabled
            row.models = list(policy.models) if policy.models is not None else None
            row.updated_at, row.updated_by = utcnow(), actor.user_id
            await session.flush()
            await audit.record(
                session=session,
                actor_id=actor.user_id,
                actor_email=actor.email,
                action="agent.update",
                target=f"agent:{agent}",
                before=_state(before),
                after=_state(policy),
            )
        self._read = None
        return before

    async def audit(self, *, limit: int, before_id: int | None) -> Sequence[AuditEntry]:
        """The audit log, newest first (every admin change, agents and users alike)."""
        async with self._db.session() as session:
            return await audit.entries(session=session, limit=limit, before_id=before_id)

"""`GET /me/usage` and `GET /admin/usage`: each limit's state and the settled usage behind it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from chatwait.limits.types import LimitName
from chatwait.store.models import UsageDaily


class LimitUsage(BaseModel):
    """One limit: `used` is settled usage; running turns' reservations are `reserved`."""

    limit: int | float | None = Field(description="None: unlimited.")
    used: int | float
    reserved: int | float = 0
    remaining: int | float | None = Field(description="limit - used - reserved; None: unlimited.")
    resets_at: datetime | None = Field(description="None: frees up when a running turn ends.")


class UsageRow(BaseModel):
    agent: str
    model: str
    runs: int
    input_tokens: int
    output_tokens: int
    tokens: int
    cost_usd: float


class PeriodUsage(BaseModel):
    """Settled usage from `since` (a UTC day) on, by agent and model."""

    since: str
    tokens: int
    cost_usd: float
    by_agent_model: list[UsageRow]


class UsageReport(BaseModel):
    limits: dict[LimitName, LimitUsage]
    today: PeriodUsage
    this_month: PeriodUsage


class UserUsage(UsageReport):
    """One user's usage as an admin sees it, with the overrides an admin set."""

    user_id: str
    email: str | None
    overrides: dict[str, Any]


class UsageList(BaseModel):
    users: list[UserUsage]


def period(rows: Iterable[UsageDaily], since: str) -> PeriodUsage:
    """Ledger rows from `since` on, summed per agent and model."""
    totals: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        if row.day < since:
            continue
        sums = totals.setdefault((row.agent, row.model), [0, 0, 0, 0.0])
        sums[0] += row.runs
        sums[1] += row.input_tokens
        sums[2] += row.output_tokens
        sums[3] += row.cost_usd
    items = [
        UsageRow(
            agent=agent,
            model=model,
            runs=int(runs),
            input_tokens=int(given),
            output_tokens=int(taken),
            tokens=int(given + taken),
            cost_usd=round(cost, 9),
        )
        for (agent, model), (runs, given, taken, cost) in sorted(totals.items())
    ]
    return PeriodUsage(
        since=since,
        tokens=sum(item.tokens for item in items),
        cost_usd=round(sum(item.cost_usd for item in items), 9),
        by_agent_model=items,
    )

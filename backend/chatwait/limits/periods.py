"""The UTC day and month quotas count in, as ledger keys and as instants."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes that were stored as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def day_key(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%d")


def month_key(now: datetime) -> str:
    """The first day of `now`'s month: ledger days >= it are this month's."""
    return now.astimezone(UTC).strftime("%Y-%m-01")


def next_day(now: datetime) -> datetime:
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start + timedelta(days=1)


def next_month(now: datetime) -> datetime:
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (start + timedelta(days=32)).replace(day=1)


def month_seconds(now: datetime) -> int:
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int((next_month(now) - start).total_seconds())


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from `now` to `moment`, rounded up (at least 1)."""
    return max(1, math.ceil((moment - now).total_seconds()))

"""The turns-per-minute window in the database, used whenever REDIS_URL is not set.

A small moving-window counter of our own, not a `limits` storage class, because that
interface cannot join a transaction: `Storage.acquire_entry(key, limit, expiry)` opens
and commits its own, so the count could not be atomic with the turn's lease, and on
SQLite it would deadlock on `Database`'s one-writer turnstile, which the admission holds
while it counts. Here the count runs in the admission's transaction, under the lock on
the user's row it already takes (Postgres `SELECT … FOR UPDATE`; SQLite `BEGIN IMMEDIATE`,
one writer across processes), so concurrent starts of one user, on any replica sharing
the database, are counted one after the other: with room for k, exactly k get in. A
refused or failed admission rolls its count back with its lease.

Semantics match the library's moving window that Redis keeps: a start counts for 60 s;
the window is keyed by its size (a changed limit starts a fresh one); an unlimited user
is counted in a window too wide to fill; the oldest start in the window says when it
next has room (Retry-After, `resets_at`). Starts out of the window are swept at most
once a minute per process, inside an admission, so the table stays about a minute deep.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from chatwait.limits.periods import aware
from chatwait.limits.types import RateCount
from chatwait.store import rate_window

WINDOW_SECONDS = 60
COUNT_ONLY = 1_000_000
"""The window an unlimited user's turns are counted in."""
PRUNE_EVERY = timedelta(seconds=WINDOW_SECONDS)


class DatabaseTurnRate:
    """Each user's turn starts of the last minute, as rows of `turn_rate_window`."""

    def __init__(self, *, now: Callable[[], datetime]) -> None:
        self.now = now
        self._next_prune: datetime | None = None

    async def hit(self, session: AsyncSession, user_id: str, limit: int | None) -> RateCount:
        """Count one turn in `session` unless the window is full (then nothing is counted).

        The caller's transaction already serialises the user's admissions (their row
        locked on Postgres, SQLite's one writer), so one read of the window decides.
        """
        if limit == 0:
            return RateCount(False, 0, WINDOW_SECONDS)
        now = self.now()
        used, oldest = await self._window(session, user_id, limit, now)
        if used >= _allowance(limit):
            # the caller refuses and rolls back: no sweep in this transaction
            return RateCount(False, used, _reset(oldest, now))
        await rate_window.add_start(
            session=session, user_id=user_id, allowance=_allowance(limit), at=now
        )
        await self._prune(session, now)
        return RateCount(True, used + 1, _reset(oldest or now, now))

    async def stats(
        self, session: AsyncSession, user_id: str, limit: int | None
    ) -> tuple[int, int]:
        """(turns in the window, whole seconds until the oldest of them leaves it)."""
        if limit == 0:
            return 0, WINDOW_SECONDS
        now = self.now()
        used, oldest = await self._window(session, user_id, limit, now)
        return used, _reset(oldest if used else None, now)

    async def close(self) -> None:
        """Nothing to close: the database is the caller's."""

    async def _window(
        self, session: AsyncSession, user_id: str, limit: int | None, now: datetime
    ) -> tuple[int, datetime | None]:
        return await rate_window.window(
            session=session,
            user_id=user_id,
            allowance=_allowance(limit),
            since=now - timedelta(seconds=WINDOW_SECONDS),
        )

    async def _prune(self, session: AsyncSession, now: datetime) -> None:
        if self._next_prune is not None and now < self._next_prune:
            return
        await rate_window.prune(session=session, before=now - timedelta(seconds=WINDOW_SECONDS))
        self._next_prune = now + PRUNE_EVERY


def _reset(oldest: datetime | None, now: datetime) -> int:
    """Whole seconds until `oldest` leaves the window (a full window if there is none)."""
    if oldest is None:
        return WINDOW_SECONDS
    leaves = aware(oldest) + timedelta(seconds=WINDOW_SECONDS)
    reset = math.ceil((leaves - now).total_seconds())
    return max(1, min(WINDOW_SECONDS, reset))


def _allowance(limit: int | None) -> int:
    return COUNT_ONLY if limit is None else limit

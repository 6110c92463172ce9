"""`Limits`: admit a turn or refuse it, settle its runs, report usage.

    admit ──▶ one transaction, the user's row locked: overrides, live leases, settled
              usage ─▶ refuse (concurrency, tokens, cost) ─▶ count the turn in the rate
              window or refuse (rate) ─▶ insert the turn's lease
    settle ─▶ in the transaction that stores a run: its usage joins the ledger and its
              reservation leaves the lease; the last run's also drops the lease, before
              the turn's `turn_done` is published

A turn is let in while its user's settled usage plus what running turns reserve is still
under a quota; it then reserves its own estimate. Parallel turns therefore overshoot a
quota by at most one turn's reservation (if runs use no more than their estimate). Leases
live in the database every replica shares; the rate window in Redis with REDIS_URL, else
in that database too, counted in the admission's transaction (a refusal rolls it back).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from chatwait.config import Settings
from chatwait.limits import _queries as q
from chatwait.limits import periods
from chatwait.limits._rate import WINDOW_SECONDS, turn_rate
from chatwait.limits.errors import LimitExceeded, QuotaExceeded, RateLimited
from chatwait.limits.report import LimitUsage, UsageReport, UserUsage, period
from chatwait.limits.types import (
    LIMIT_NAMES,
    Admission,
    LimitSet,
    LimitState,
    RunEstimate,
    RunUsage,
)
from chatwait.store import Database, audit
from chatwait.store.models import utcnow

WAIT_FOR_A_TURN_SECONDS = 5
"""Retry-After when only running turns stand in the way (they end on their own time)."""
LEASE_MARGIN_SECONDS = 120.0


class AuditActor(Protocol):
    """Who changes a user's limits, as the audit log names them."""

    @property
    def user_id(self) -> str: ...

    @property
    def email(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """A user's limits and counts at one instant, inside the admission transaction."""

    limits: LimitSet
    held: q.Held
    settled: q.Settled
    now: datetime
    rate_used: int = 0
    rate_reset: int = WINDOW_SECONDS


class Limits:
    """Per-user rate limit, concurrency and quotas; the HTTP layer maps its refusals."""

    def __init__(
        self, settings: Settings, db: Database, *, now: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.now = now
        self.defaults = LimitSet.from_settings(settings)
        self.lease_seconds = settings.run_timeout_seconds + LEASE_MARGIN_SECONDS
        self.rate = turn_rate(
            redis_url=settings.redis_url, key_prefix=settings.redis_key_prefix, now=now
        )

    # Admission
    async def admit(self, *, user_id: str, turn_id: str, estimates: list[RunEstimate]) -> Admission:
        """Count the turn or raise `LimitExceeded`; nothing of the turn exists yet."""
        tokens = sum(e.tokens for e in estimates)
        cost = sum(e.cost_usd for e in estimates)
        async with self.db.session() as session:
            await q.lock_user(session=session, user_id=user_id)
            snap = await self._snapshot(session, user_id)
            self._check_held(snap)
            rate = await self.rate.hit(session, user_id, snap.limits.turns_per_minute)
            if not rate.counted:
                raise self._rate_refusal(replace(snap, rate_used=rate.used, rate_reset=rate.reset))
            await q.add_lease(
                session=session,
                turn_id=turn_id,
                user_id=user_id,
                tokens=tokens,
                cost_usd=cost,
                expires_at=snap.now + timedelta(seconds=self.lease_seconds),
            )
        held = q.Held(snap.held.turns + 1, snap.held.tokens + tokens, snap.held.cost_usd + cost)
        after = replace(snap, held=held, rate_used=rate.used, rate_reset=rate.reset)
        estimates_by_run = {e.run_id: e for e in estimates}
        return Admission(turn_id, user_id, estimates_by_run, _states(after))

    async def release(self, admission: Admission) -> None:
        """A start that failed after admission: its lease goes (its rate count stays)."""
        await self._drop(admission.turn_id)

    async def settle(
        self, session: AsyncSession, admission: Admission, usage: RunUsage, *, run_id: str
    ) -> None:
        """Book a run's real usage in the caller's transaction and free its reservation."""
        await q.add_usage(
            session=session,
            user_id=admission.user_id,
            day=periods.day_key(self.now()),
            agent=usage.agent,
            model=usage.model,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=usage.cost_usd or 0.0,
        )
        estimate = admission.estimates.pop(run_id, None)
        if estimate is not None and admission.estimates:
            await q.shrink_lease(
                session=session,
                turn_id=admission.turn_id,
                tokens=estimate.tokens,
                cost_usd=estimate.cost_usd,
            )
        elif not admission.estimates:
            await q.drop_lease(session=session, turn_id=admission.turn_id)
            admission.lease_dropped = True

    async def end(self, session: AsyncSession, admission: Admission) -> None:
        """The turn is over (in the transaction that ends it): it stops counting."""
        admission.estimates.clear()
        if not admission.lease_dropped:
            await q.drop_lease(session=session, turn_id=admission.turn_id)
            admission.lease_dropped = True

    async def forget_leases(self) -> int:
        """At the start of a lone process: no turn of an earlier one is still running."""
        async with self.db.session() as session:
            return await q.drop_all_leases(session=session)

    async def _drop(self, turn_id: str) -> None:
        async with self.db.session() as session:
            await q.drop_lease(session=session, turn_id=turn_id)

    async def _snapshot(self, session: AsyncSession, user_id: str) -> _Snapshot:
        now = self.now()
        overrides, held, settled = await q.standing(
            session=session,
            user_id=user_id,
            now=now,
            day=periods.day_key(now),
            month_start=periods.month_key(now),
        )
        return _Snapshot(self.defaults.overridden(overrides), held, settled, now)

    def _check_held(self, snap: _Snapshot) -> None:
        """Refuse when running turns or settled usage leave no room (rate comes after)."""
        limits, held, settled = snap.limits, snap.held, snap.settled
        states = _states(snap)
        if limits.concurrent_turns is not None and held.turns >= limits.concurrent_turns:
            raise RateLimited(
                f"{held.turns} of your turns are running (at most {limits.concurrent_turns} at "
                "once): retry when one of them has ended",
                limit="concurrent_turns",
                retry_after=WAIT_FOR_A_TURN_SECONDS,
                states=states,
            )
        tokens, cost = limits.tokens_per_day, limits.cost_usd_per_month
        if tokens is not None and settled.tokens_today + held.tokens >= tokens:
            raise self._quota_refusal(snap, "tokens_per_day", settled.tokens_today >= tokens)
        if cost is not None and settled.cost_month + held.cost_usd >= cost:
            raise self._quota_refusal(snap, "cost_usd_per_month", settled.cost_month >= cost)

    def _quota_refusal(self, snap: _Snapshot, limit: str, spent: bool) -> LimitExceeded:
        """Used up: retry when the period resets; else when a running turn settles."""
        daily = limit == "tokens_per_day"
        resets = periods.next_day(snap.now) if daily else periods.next_month(snap.now)
        wait = periods.seconds_until(resets, snap.now)
        what = "tokens for today" if daily else "spending for this month"
        if spent:
            message = f"your {what} are used up: the quota resets at {resets.isoformat()}"
        else:
            wait = min(wait, WAIT_FOR_A_TURN_SECONDS)
            message = f"your running turns reserve the rest of your {what}: retry when they end"
        policy = "tokens" if daily else "cost"
        # `t` is when `r` grows back: a running turn settling, when reservations block.
        states = [replace(s, reset=wait) if s.policy == policy else s for s in _states(snap)]
        return QuotaExceeded(
            message,
            limit="tokens_per_day" if daily else "cost_usd_per_month",
            retry_after=wait,
            states=states,
        )

    def _rate_refusal(self, snap: _Snapshot) -> LimitExceeded:
        """The window is full (`snap` holds its count and reset)."""
        limit, reset = snap.limits.turns_per_minute, snap.rate_reset
        states = _states(snap)
        turns = "no turns" if not limit else "1 turn" if limit == 1 else f"at most {limit} turns"
        return RateLimited(
            f"{turns} a minute for you: retry in {reset} s",
            limit="turns_per_minute",
            retry_after=reset,
            states=states,
        )

    # Reports
    async def states(self, user_id: str) -> list[LimitState]:
        """The user's limits now, counting nothing (an attach to an existing turn)."""
        async with self.db.session() as session:
            snap = await self._snapshot(session, user_id)
            used, reset = await self.rate.stats(session, user_id, snap.limits.turns_per_minute)
        return _states(_Snapshot(snap.limits, snap.held, snap.settled, snap.now, used, reset))

    async def usage(self, user_id: str) -> UsageReport:
        """Each limit's state, and today's and this month's settled usage."""
        async with self.db.session() as session:
            snap = await self._snapshot(session, user_id)
            rows = await q.ledger(
                session=session, user_id=user_id, since=periods.month_key(snap.now)
            )
            used, reset = await self.rate.stats(session, user_id, snap.limits.turns_per_minute)
        snap = _Snapshot(snap.limits, snap.held, snap.settled, snap.now, used, reset)
        return UsageReport(
            limits=_usage(snap),
            today=period(rows, periods.day_key(snap.now)),
            this_month=period(rows, periods.month_key(snap.now)),
        )

    async def all_usage(self) -> list[UserUsage]:
        """Every user's report (for admins), oldest account first."""
        async with self.db.session() as session:
            users = await q.users(session=session)
            overrides = await q.all_overrides(session=session)
        reports = []
        for user_id, email in users:
            report = await self.usage(user_id)
            reports.append(
                UserUsage(
                    **report.model_dump(),
                    user_id=user_id,
                    email=email,
                    overrides=overrides.get(user_id, {}),
                )
            )
        return reports

    # Overrides
    async def overrides(self, user_id: str) -> dict[str, Any]:
        async with self.db.session() as session:
            return await q.overrides(session=session, user_id=user_id)

    async def set_overrides(
        self, user_id: str, changes: dict[str, Any], *, actor: AuditActor
    ) -> dict[str, Any]:
        """Apply an admin's changes: a number or `"unlimited"` overrides, None restores
        the server's default. Effective on every replica at the user's next turn; written
        to the audit log with the limits before and after, in the same transaction."""
        async with self.db.session() as session:
            values = await q.overrides(session=session, user_id=user_id)
            before = dict(values)
            for name, value in changes.items():
                if name not in LIMIT_NAMES:
                    continue
                if value is None:
                    values.pop(name, None)
                else:
                    values[name] = value
            await q.save_overrides(session=session, user_id=user_id, values=values)
            if values != before:
                await audit.record(
                    session=session,
                    actor_id=actor.user_id,
                    actor_email=actor.email,
                    action="user.limits",
                    target=f"user:{user_id}",
                    before={"limits": before},
                    after={"limits": values},
                )
            return values

    async def close(self) -> None:
        await self.rate.close()


def _left(limit: float, used: float) -> int:
    return max(0, math.floor(limit - used))


def _states(snap: _Snapshot) -> list[LimitState]:
    """The limits that are set, as RateLimit policies (cost in US cents: headers are integers)."""
    limits, held, settled, now = snap.limits, snap.held, snap.settled, snap.now
    states: list[LimitState] = []
    if limits.turns_per_minute is not None:
        states.append(
            LimitState(
                "turns",
                limits.turns_per_minute,
                _left(limits.turns_per_minute, snap.rate_used),
                window=WINDOW_SECONDS,
                reset=snap.rate_reset,
            )
        )
    if limits.concurrent_turns is not None:
        states.append(
            LimitState(
                "concurrency",
                limits.concurrent_turns,
                _left(limits.concurrent_turns, held.turns),
                unit="concurrent-requests",
            )
        )
    if limits.tokens_per_day is not None:
        states.append(
            LimitState(
                "tokens",
                limits.tokens_per_day,
                _left(limits.tokens_per_day, settled.tokens_today + held.tokens),
                window=86_400,
                reset=periods.seconds_until(periods.next_day(now), now),
                unit="tokens",
            )
        )
    if limits.cost_usd_per_month is not None:
        cents = limits.cost_usd_per_month * 100
        states.append(
            LimitState(
                "cost",
                math.floor(cents),
                _left(cents, (settled.cost_month + held.cost_usd) * 100),
                window=periods.month_seconds(now),
                reset=periods.seconds_until(periods.next_month(now), now),
                unit="usd-cents",
            )
        )
    return states


def _usage(snap: _Snapshot) -> dict[Any, LimitUsage]:
    limits, held, settled, now = snap.limits, snap.held, snap.settled, snap.now

    def entry(limit: float | None, used: float, reserved: float, resets: datetime | None) -> Any:
        remaining = None if limit is None else max(0, limit - used - reserved)
        if isinstance(limit, float) and remaining is not None:
            remaining = round(remaining, 9)
        return LimitUsage(
            limit=limit, used=used, reserved=reserved, remaining=remaining, resets_at=resets
        )

    rate_resets = now + timedelta(seconds=snap.rate_reset) if snap.rate_used else None
    return {
        "turns_per_minute": entry(limits.turns_per_minute, snap.rate_used, 0, rate_resets),
        "concurrent_turns": entry(limits.concurrent_turns, held.turns, 0, None),
        "tokens_per_day": entry(
            limits.tokens_per_day, settled.tokens_today, held.tokens, periods.next_day(now)
        ),
        "cost_usd_per_month": entry(
            limits.cost_usd_per_month,
            round(settled.cost_month, 9),
            round(held.cost_usd, 9),
            periods.next_month(now),
        ),
    }


async def end_lease(*, session: AsyncSession, turn_id: str) -> None:
    """A turn ended by someone other than its owner (a survivor ending a dead replica's
    turn): it stops counting at once, not when its lease expires."""
    await q.drop_lease(session=session, turn_id=turn_id)

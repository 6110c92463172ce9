"""Turn starts named by an `Idempotency-Key`: one turn per user and key.

A client that lost the answer to its start (a dropped connection, a timeout, a retried
request) sends the same key again and attaches to the turn the first request started,
instead of paying for a second one. The key is remembered in the database, in the same
transaction as the turn's rows, so it holds across restarts and replicas; a request that
is still starting in this process is waited for instead of looked up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chatwait.errors import ValidationFailed
from chatwait.store import Database, repo
from chatwait.store.models import utcnow
from chatwait.turns.records import StartedTurn

if TYPE_CHECKING:
    from chatwait.turns.live import LiveTurn


@dataclass(frozen=True, slots=True)
class KeyedStart:
    """A start request carrying an `Idempotency-Key`."""

    user_id: str
    key: str
    fingerprint: str


def _reused(key: str) -> ValidationFailed:
    return ValidationFailed(
        f"Idempotency-Key {key!r} was already used with a different request; use a new key "
        "for a new request",
        code="idempotency_key_reused",
    )


class IdempotencyKeys:
    """Finds, waits for and remembers keyed starts."""

    def __init__(self, *, ttl_seconds: float, now: Callable[[], datetime] = utcnow) -> None:
        self.ttl = timedelta(seconds=ttl_seconds)
        self.now = now
        self._starting: dict[tuple[str, str], asyncio.Future[tuple[str, str] | None]] = {}
        """Keys this process is starting a turn for → (turn id, fingerprint), None if it failed."""

    async def start_once(
        self,
        keyed: KeyedStart,
        db: Database,
        start: Callable[[], Awaitable[LiveTurn]],
        live: Callable[[str], LiveTurn | None],
    ) -> StartedTurn:
        """The turn `keyed` names, started by `start()` only if no request started it yet."""
        slot = (keyed.user_id, keyed.key)
        while (pending := self._starting.get(slot)) is not None:
            started = await asyncio.shield(pending)
            if started is not None:
                return self._attach(keyed, *started, live)
        # Claimed before any await: a concurrent start with this key waits on this one.
        future: asyncio.Future[tuple[str, str] | None] = asyncio.get_running_loop().create_future()
        self._starting[slot] = future
        outcome: tuple[str, str] | None = None
        try:
            outcome = await self.find(db, keyed)
            if outcome is not None:
                return self._attach(keyed, *outcome, live)
            try:
                turn = await start()
            except IntegrityError:
                outcome = await self.find(db, keyed)  # another replica remembered it first
                if outcome is None:
                    raise
                return self._attach(keyed, *outcome, live)
            outcome = (turn.turn_id, keyed.fingerprint)
            return StartedTurn(turn.turn_id, turn)
        finally:
            del self._starting[slot]
            future.set_result(outcome)

    def _attach(
        self,
        keyed: KeyedStart,
        turn_id: str,
        fingerprint: str,
        live: Callable[[str], LiveTurn | None],
    ) -> StartedTurn:
        if fingerprint != keyed.fingerprint:
            raise _reused(keyed.key)
        return StartedTurn(turn_id, live(turn_id), attached=True)

    async def find(self, db: Database, keyed: KeyedStart) -> tuple[str, str] | None:
        """(turn id, fingerprint) the key is remembered with, unless it expired."""
        async with db.session() as session:
            row = await repo.find_idempotency_key(
                session=session,
                user_id=keyed.user_id,
                key=keyed.key,
                since=self.now() - self.ttl,
            )
            return (row.turn_id, row.request_hash) if row is not None else None

    async def remember(self, session: AsyncSession, keyed: KeyedStart, turn_id: str) -> None:
        """Keep the key with the turn, in the transaction that writes the turn."""
        now = self.now()
        await repo.remember_idempotency_key(
            session=session,
            user_id=keyed.user_id,
            key=keyed.key,
            request_hash=keyed.fingerprint,
            turn_id=turn_id,
            now=now,
            expired_before=now - self.ttl,
        )

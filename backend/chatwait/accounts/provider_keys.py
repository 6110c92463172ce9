"""Users' own provider keys: saved sealed, listed by their last four characters, opened
only to hand to that user's runs.

Which agents take a key is the caller's business (`catalog`): this layer stores, lists,
deletes and opens. `last_used_at` is written at most once a minute per key. A row that
does not open under the current secret (CHATWAIT_SECRET_KEY changed without `chatwait
keys rotate`) is skipped with a warning naming its agent, never its content.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from chatwait.accounts._cache import TtlCache
from chatwait.accounts._key_cipher import KeyCipher, UndecryptableKey
from chatwait.accounts._state import aware
from chatwait.config import MIN_SECRET_KEY_BYTES, SAMPLE_SECRET_KEY
from chatwait.errors import Conflict, NotFound
from chatwait.store import Database
from chatwait.store.models import ProviderKey, utcnow

__all__ = [
    "ProviderKeyInfo",
    "ProviderKeys",
    "UndecryptableKey",
    "rotate_keys",
    "usable_secret",
]

logger = logging.getLogger("chatwait.accounts")

LAST_USED_EVERY = timedelta(minutes=1)
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ProviderKeyInfo:
    """A stored key as listed: never the key itself."""

    agent: str
    last4: str
    created_at: datetime
    last_used_at: datetime | None


def usable_secret(secret: str) -> bool:
    """Whether `secret` may seal keys: set, not the sample, long enough."""
    return secret != SAMPLE_SECRET_KEY and len(secret.strip().encode()) >= MIN_SECRET_KEY_BYTES


class ProviderKeys:
    def __init__(
        self,
        db: Database,
        secret: str,
        *,
        cache_seconds: float = 0.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = db
        self._cipher = KeyCipher(secret) if usable_secret(secret) else None
        self._clock = clock
        self._held: TtlCache[frozenset[str]] = TtlCache(cache_seconds)
        """User -> agents they hold a key for: a turn of a user without keys reads none.
        This replica drops an entry when it saves or deletes; others after the TTL."""

    @property
    def enabled(self) -> bool:
        """False without a real CHATWAIT_SECRET_KEY: nothing can be sealed then."""
        return self._cipher is not None

    def _sealer(self) -> KeyCipher:
        if self._cipher is None:
            raise Conflict(
                "storing provider keys needs CHATWAIT_SECRET_KEY (at least "
                f"{MIN_SECRET_KEY_BYTES} random bytes) to encrypt them with",
                code="secret_key_required",
            )
        return self._cipher

    async def put(self, user_id: str, agent: str, api_key: str) -> None:
        """Save (or replace) the user's key for `agent`."""
        cipher = self._sealer()
        async with self._db.session() as session:
            row = await session.get(ProviderKey, (user_id, agent))
            version = row.key_version if row is not None else 1
            nonce, sealed = cipher.seal(api_key, user_id=user_id, agent=agent, key_version=version)
            if row is None:
                row = ProviderKey(user_id=user_id, agent=agent, key_version=version)
                session.add(row)
            row.nonce, row.ciphertext, row.last4 = nonce, sealed, api_key[-4:]
            row.created_at, row.last_used_at = self._clock(), None
        self._held.drop(user_id)

    async def list(self, user_id: str) -> list[ProviderKeyInfo]:
        async with self._db.session() as session:
            rows = await session.scalars(
                select(ProviderKey)
                .where(ProviderKey.user_id == user_id)
                .order_by(ProviderKey.agent)
            )
            return [
                ProviderKeyInfo(
                    row.agent,
                    row.last4,
                    aware(row.created_at),
                    aware(row.last_used_at) if row.last_used_at else None,
                )
                for row in rows
            ]

    async def agents(self, user_id: str) -> frozenset[str]:
        """The agents the user holds a usable key for (one that opens under the current
        secret, so `GET /models` never offers what a turn would refuse); cached briefly."""
        cipher = self._cipher
        if cipher is None:
            return frozenset()
        held = self._held.get(user_id)
        if held is None:
            async with self._db.session() as session:
                rows = await session.scalars(
                    select(ProviderKey).where(ProviderKey.user_id == user_id)
                )
                held = frozenset(row.agent for row in rows if _opens(cipher, row))
            self._held.put(user_id, held)
        return held

    async def delete(self, user_id: str, agent: str) -> None:
        async with self._db.session() as session:
            result = await session.execute(
                delete(ProviderKey).where(
                    ProviderKey.user_id == user_id, ProviderKey.agent == agent
                )
            )
            self._held.drop(user_id)
            if not getattr(result, "rowcount", 0):
                raise NotFound(f"no provider key stored for agent {agent!r}")

    async def open(self, user_id: str, agents: Iterable[str]) -> dict[str, str]:
        """The user's keys for those of `agents` they stored one for, opened; marks them used."""
        wanted = set(agents)
        if self._cipher is None or not wanted:
            return {}
        opened: dict[str, str] = {}
        now = self._clock()
        async with self._db.session() as session:
            rows = await session.scalars(
                select(ProviderKey).where(
                    ProviderKey.user_id == user_id, ProviderKey.agent.in_(wanted)
                )
            )
            stale: list[str] = []
            for row in rows:
                try:
                    opened[row.agent] = self._cipher.open(
                        row.nonce,
                        row.ciphertext,
                        user_id=user_id,
                        agent=row.agent,
                        key_version=row.key_version,
                    )
                except UndecryptableKey:
                    logger.warning(
                        "the stored provider key of one user for agent %r does not open under "
                        "the current CHATWAIT_SECRET_KEY (run `chatwait keys rotate`)",
                        row.agent,
                    )
                    continue
                if now - aware(row.last_used_at or _NEVER) >= LAST_USED_EVERY:
                    stale.append(row.agent)
            if stale:
                await session.execute(
                    update(ProviderKey)
                    .where(ProviderKey.user_id == user_id, ProviderKey.agent.in_(stale))
                    .values(last_used_at=now)
                )
        return opened


def _opens(cipher: KeyCipher, row: ProviderKey) -> bool:
    try:
        cipher.open(
            row.nonce,
            row.ciphertext,
            user_id=row.user_id,
            agent=row.agent,
            key_version=row.key_version,
        )
    except UndecryptableKey:
        return False
    return True


async def rotate_keys(db: Database, *, old_secret: str, new_secret: str) -> int:
    """Re-seal every stored key under `new_secret` (version + 1), in one transaction.

    Raises `UndecryptableKey` (and changes nothing) if any row does not open under
    `old_secret`: a half-rotated table would leave keys no secret opens.
    """
    old, new = KeyCipher(old_secret), KeyCipher(new_secret)
    async with db.session() as session:
        rows = list(await session.scalars(select(ProviderKey).with_for_update()))
        for row in rows:
            names = {"user_id": row.user_id, "agent": row.agent}
            plain = old.open(row.nonce, row.ciphertext, key_version=row.key_version, **names)
            row.key_version += 1
            row.nonce, row.ciphertext = new.seal(plain, key_version=row.key_version, **names)
        return len(rows)

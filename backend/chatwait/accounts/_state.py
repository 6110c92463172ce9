"""What the account parts share: the database, the clock, and the short-lived caches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chatwait.accounts._cache import TtlCache
from chatwait.accounts.types import Principal, Role
from chatwait.store import Database
from chatwait.store.models import User, utcnow


def aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; every stored one is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Holder:
    """A cached answer to "who holds this session or key, and may they act now?"."""

    user_id: str
    email: str | None
    role: Role
    active: bool
    key_hash: str = ""
    expires_at: datetime | None = None

    @classmethod
    def of(
        cls,
        user: User | None,
        *,
        active: bool,
        key_hash: str = "",
        expires_at: datetime | None = None,
    ) -> Holder:
        if user is None:
            return cls("", None, "user", False)
        role: Role = "admin" if user.role == "admin" else "user"
        usable = active and not user.disabled
        return cls(user.id, user.email, role, usable, key_hash, expires_at)

    def principal(self, **credential: str) -> Principal:
        return Principal(self.user_id, self.email, self.role, **credential)


@dataclass
class Shared:
    db: Database
    sessions: TtlCache[Holder]
    keys: TtlCache[Holder]
    clock: Callable[[], datetime] = field(default=utcnow)

    def forget_user(self, user_id: str) -> None:
        """Drop what this replica cached about a user (disabled, role changed)."""
        self.sessions.drop_where(lambda held: held.user_id == user_id)
        self.keys.drop_where(lambda held: held.user_id == user_id)

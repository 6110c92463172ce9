"""API keys for scripts and other clients: made, listed, deleted, and checked per request.

The key is shown once; the row keeps its HMAC. `last_used_at` is written at most once a
minute per key, so a busy script does not turn every request into a write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chatwait.accounts import _queries as q
from chatwait.accounts._state import Holder, Shared, aware
from chatwait.accounts.errors import InvalidToken
from chatwait.accounts.tokens import ApiKeyCodec, api_key_id, display_prefix
from chatwait.accounts.types import ApiKeyInfo, NewApiKey, Principal
from chatwait.errors import NotFound, ValidationFailed
from chatwait.store.models import ApiKey

LAST_USED_EVERY = timedelta(minutes=1)
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def _info(row: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=aware(row.created_at),
        last_used_at=aware(row.last_used_at) if row.last_used_at else None,
        expires_at=aware(row.expires_at) if row.expires_at else None,
    )


class ApiKeys:
    def __init__(self, shared: Shared, codec: ApiKeyCodec) -> None:
        self._shared = shared
        self._codec = codec

    async def create(
        self, owner: Principal, *, name: str, expires_at: datetime | None
    ) -> NewApiKey:
        if expires_at is not None:
            expires_at = aware(expires_at)
            if expires_at <= self._shared.clock():
                raise ValidationFailed("expires_at: must be in the future")
        key_id, key = self._codec.new()
        async with self._shared.db.session() as session:
            row = await q.add_api_key(
                session=session,
                key_id=key_id,
                user_id=owner.user_id,
                name=name,
                prefix=display_prefix(key),
                key_hash=self._codec.digest(key),
                expires_at=expires_at,
            )
            return NewApiKey(_info(row), key)

    async def list(self, owner: Principal) -> list[ApiKeyInfo]:
        async with self._shared.db.session() as session:
            rows = await q.api_keys_of(session=session, user_id=owner.user_id)
            return [_info(row) for row in rows]

    async def delete(self, owner: Principal, key_id: str) -> None:
        """Delete one of the owner's keys; another user's key is as missing as none."""
        async with self._shared.db.session() as session:
            found = await q.delete_api_key(session=session, user_id=owner.user_id, key_id=key_id)
        self._shared.keys.drop(key_id)
        if not found:
            raise NotFound("no such API key")

    async def authenticate(self, key: str) -> Principal:
        key_id = api_key_id(key)
        if key_id is None:
            raise InvalidToken()
        now = self._shared.clock()
        held, last_used = self._shared.keys.get(key_id), None
        if held is None:
            held, last_used = await self._look_up(key_id)
            self._shared.keys.put(key_id, held)
        usable = held.active and self._codec.matches(key, held.key_hash)
        if not usable or (held.expires_at and held.expires_at <= now):
            raise InvalidToken()
        if last_used is not None and last_used + LAST_USED_EVERY <= now:
            async with self._shared.db.session() as session:
                await q.mark_api_key_used(session=session, key_id=key_id, at=now)
        return held.principal(api_key_id=key_id)

    async def _look_up(self, key_id: str) -> tuple[Holder, datetime | None]:
        """The key's holder, and when it was last used (the epoch for never)."""
        async with self._shared.db.session() as session:
            row = await q.api_key(session=session, key_id=key_id)
            if row is None:
                return Holder.of(None, active=False), None
            user = await q.user_by_id(session=session, user_id=row.user_id)
        expires = aware(row.expires_at) if row.expires_at else None
        held = Holder.of(user, active=True, key_hash=row.key_hash, expires_at=expires)
        return held, aware(row.last_used_at) if row.last_used_at else _NEVER

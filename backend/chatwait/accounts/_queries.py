"""The account tables' SQL: keyword-only functions, the session passed in.

Spending a refresh token is one conditional UPDATE (`used_at IS NULL`), so two requests
racing with the same token cannot both get a new pair: the loser sees it spent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from chatwait.store.models import ApiKey, AuthSession, RefreshToken, User, utcnow


def new_id() -> str:
    return str(uuid.uuid4())


async def user_by_email(*, session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def user_by_id(*, session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def all_users(*, session: AsyncSession) -> Sequence[User]:
    query = select(User).where(User.email.is_not(None)).order_by(User.created_at, User.id)
    return (await session.scalars(query)).all()


async def add_user(*, session: AsyncSession, email: str, password_hash: str, role: str) -> User:
    user = User(id=new_id(), identifier=email, email=email, password_hash=password_hash, role=role)
    session.add(user)
    await session.flush()
    return user


async def start_session(
    *, session: AsyncSession, user_id: str, token_hash: str, expires_at: datetime
) -> str:
    session_id = new_id()
    session.add(AuthSession(id=session_id, user_id=user_id))
    await session.flush()
    await add_refresh_token(
        session=session, session_id=session_id, token_hash=token_hash, expires_at=expires_at
    )
    return session_id


async def add_refresh_token(
    *, session: AsyncSession, session_id: str, token_hash: str, expires_at: datetime
) -> None:
    session.add(
        RefreshToken(
            id=new_id(), session_id=session_id, token_hash=token_hash, expires_at=expires_at
        )
    )
    await session.flush()


async def refresh_token(*, session: AsyncSession, token_hash: str) -> RefreshToken | None:
    return await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))


async def spend_refresh_token(*, session: AsyncSession, token_id: str) -> bool:
    """Mark the token used; False when another request spent it first."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return isinstance(result, CursorResult) and result.rowcount == 1


async def auth_session(*, session: AsyncSession, session_id: str) -> AuthSession | None:
    return await session.get(AuthSession, session_id)


async def touch_session(*, session: AsyncSession, session_id: str) -> None:
    await session.execute(
        update(AuthSession).where(AuthSession.id == session_id).values(refreshed_at=utcnow())
    )


async def revoke_session(*, session: AsyncSession, session_id: str, reason: str) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


async def add_api_key(
    *,
    session: AsyncSession,
    key_id: str,
    user_id: str,
    name: str,
    prefix: str,
    key_hash: str,
    expires_at: datetime | None,
) -> ApiKey:
    row = ApiKey(
        id=key_id,
        user_id=user_id,
        name=name,
        prefix=prefix,
        key_hash=key_hash,
        expires_at=expires_at,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def api_key(*, session: AsyncSession, key_id: str) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def api_keys_of(*, session: AsyncSession, user_id: str) -> Sequence[ApiKey]:
    query = select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at)
    return (await session.scalars(query)).all()


async def delete_api_key(*, session: AsyncSession, user_id: str, key_id: str) -> bool:
    row = await session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user_id))
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def mark_api_key_used(*, session: AsyncSession, key_id: str, at: datetime) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at))


async def revoke_user_sessions(*, session: AsyncSession, user_id: str, reason: str) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )

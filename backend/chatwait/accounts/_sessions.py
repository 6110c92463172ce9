"""Logins: sessions, rotating refresh tokens with reuse detection, access tokens.

Every refresh spends its token and issues the next one. A spent token presented again
means two holders of one token (a thief, or a client that lost a race): the whole
session is revoked, so the newest refresh token and every access token naming the
session stop working. Access tokens are checked against the session on every request
(through a cache of AUTH_CACHE_SECONDS), which is what makes logout immediate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from chatwait.accounts import _queries as q
from chatwait.accounts._state import Holder, Shared, aware
from chatwait.accounts.errors import (
    InvalidCredentials,
    InvalidEmail,
    InvalidRefreshToken,
    InvalidToken,
)
from chatwait.accounts.passwords import Passwords, normalize_email
from chatwait.accounts.throttle import AttemptThrottle
from chatwait.accounts.tokens import AccessTokens, new_refresh_token, refresh_digest
from chatwait.accounts.types import Principal, TokenPair

logger = logging.getLogger("chatwait.accounts")


@dataclass(frozen=True, slots=True)
class _Spent:
    """The outcome of presenting a refresh token, decided inside one transaction."""

    pair: TokenPair | None = None
    revoked_session: str | None = None


class Sessions:
    def __init__(
        self,
        shared: Shared,
        *,
        passwords: Passwords,
        throttle: AttemptThrottle,
        tokens: AccessTokens,
        refresh_lifetime: timedelta,
    ) -> None:
        self._shared = shared
        self._passwords = passwords
        self._throttle = throttle
        self._tokens = tokens
        self._refresh_lifetime = refresh_lifetime

    async def login(self, *, email: str, password: str, ip: str | None) -> TokenPair:
        """A new session; one `InvalidCredentials` for every way of getting it wrong."""
        try:
            email = normalize_email(email)
        except InvalidEmail:
            email = email.strip().lower()
        await self._throttle.login(ip=ip, email=email)
        async with self._shared.db.session() as session:
            user = await q.user_by_email(session=session, email=email)
        matches, rehashed = await self._passwords.verify(
            password, user.password_hash if user is not None else None
        )
        if user is None or not matches or user.disabled:
            raise InvalidCredentials()
        await self._throttle.forget_email(email)
        refresh = new_refresh_token()
        async with self._shared.db.session() as session:
            if rehashed is not None:
                account = await q.user_by_id(session=session, user_id=user.id)
                if account is not None:
                    account.password_hash = rehashed
            session_id = await q.start_session(
                session=session,
                user_id=user.id,
                token_hash=refresh_digest(refresh),
                expires_at=self._shared.clock() + self._refresh_lifetime,
            )
        return self._pair(user.id, session_id, refresh)

    async def refresh(self, refresh_token: str) -> TokenPair:
        spent = await self._spend(refresh_token)
        if spent.revoked_session is not None:
            self._shared.sessions.drop(spent.revoked_session)
            logger.warning(
                "a spent refresh token was presented again: session revoked",
                extra={"fields": {"session_id": spent.revoked_session}},
            )
            raise InvalidRefreshToken("this refresh token was already used: the session is revoked")
        if spent.pair is None:
            raise InvalidRefreshToken()
        return spent.pair

    async def _spend(self, refresh_token: str) -> _Spent:
        now = self._shared.clock()
        async with self._shared.db.session() as session:
            row = await q.refresh_token(session=session, token_hash=refresh_digest(refresh_token))
            if row is None:
                return _Spent()
            auth = await q.auth_session(session=session, session_id=row.session_id)
            if auth is None or auth.revoked_at is not None:
                return _Spent()
            if row.used_at is not None or not await q.spend_refresh_token(
                session=session, token_id=row.id
            ):
                await q.revoke_session(session=session, session_id=auth.id, reason="refresh_reuse")
                return _Spent(revoked_session=auth.id)
            user = await q.user_by_id(session=session, user_id=auth.user_id)
            if aware(row.expires_at) <= now or user is None or user.disabled:
                return _Spent()
            following = new_refresh_token()
            await q.add_refresh_token(
                session=session,
                session_id=auth.id,
                token_hash=refresh_digest(following),
                expires_at=now + self._refresh_lifetime,
            )
            await q.touch_session(session=session, session_id=auth.id)
        return _Spent(pair=self._pair(auth.user_id, auth.id, following))

    async def logout(self, session_id: str) -> None:
        async with self._shared.db.session() as session:
            await q.revoke_session(session=session, session_id=session_id, reason="logout")
        self._shared.sessions.drop(session_id)

    async def authenticate(self, token: str) -> Principal:
        """The user of a valid access token whose session is live and user enabled."""
        claims = self._tokens.read(token)
        held = self._shared.sessions.get(claims.session_id)
        if held is None:
            held = await self._look_up(claims.session_id)
            self._shared.sessions.put(claims.session_id, held)
        if not held.active or held.user_id != claims.user_id:
            raise InvalidToken()
        return held.principal(session_id=claims.session_id)

    async def _look_up(self, session_id: str) -> Holder:
        async with self._shared.db.session() as session:
            auth = await q.auth_session(session=session, session_id=session_id)
            if auth is None:
                return Holder.of(None, active=False)
            user = await q.user_by_id(session=session, user_id=auth.user_id)
            return Holder.of(user, active=auth.revoked_at is None)

    def _pair(self, user_id: str, session_id: str, refresh: str) -> TokenPair:
        access = self._tokens.issue(
            user_id=user_id, session_id=session_id, now=self._shared.clock()
        )
        return TokenPair(access, refresh, int(self._tokens.lifetime.total_seconds()))

"""The signed-in users' backend sessions, kept on the UI server only (`AUTH_MODE=local`).

`password_auth_callback` logs in at the backend (`POST /auth/login`) and keeps the token
pair here, under a random *handle*; the Chainlit user it returns is named by that handle
(`cl.User(identifier=handle)`), so the browser holds only Chainlit's signed cookie with
the handle in it: the backend's access and refresh tokens never leave this process and
are never in `cl.User.metadata`. Every API call the UI makes for that user asks
`UiCredentials.token()` for the access token, which refreshes it here (`/auth/refresh`,
one refresh at a time per session: a refresh token is spent by use) when it is about to
expire or the backend refused it. Logout revokes the backend session and forgets it.

Which user a call is for: inside a websocket session, Chainlit's `context.session.user`;
in Chainlit's HTTP routes, the user Chainlit authenticated for the request, which it
looks up through the data layer's `get_user` (that call records the handle in
`current_handle` for the rest of the request).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from .api import ApiClient, ApiError

__all__ = [
    "HANDLE_PREFIX",
    "BackendSession",
    "SessionStore",
    "UiCredentials",
    "current_handle",
    "session_handle",
]

logger = logging.getLogger(__name__)

HANDLE_PREFIX = "cw-session-"
_EARLY_REFRESH_SECONDS = 30.0
"""Refresh an access token this long before it expires, so a request never carries a dead one."""

current_handle: ContextVar[str | None] = ContextVar("chatwait_ui_handle", default=None)
"""The handle Chainlit authenticated for the HTTP request being served (set by `get_user`)."""


@dataclass
class BackendSession:
    """One sign-in: the backend's tokens and who they belong to."""

    user: dict[str, Any]
    access_token: str
    refresh_token: str
    expires_at: float
    """`time.monotonic()` after which the access token is refreshed before use."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    last_used: float = field(default_factory=time.monotonic)

    @property
    def email(self) -> str:
        return str(self.user.get("email") or self.user.get("id") or "")

    def take(self, tokens: Mapping[str, Any]) -> None:
        """Adopt a new pair from `/auth/login` or `/auth/refresh`."""
        self.access_token = str(tokens["access_token"])
        self.refresh_token = str(tokens["refresh_token"])
        lifetime = float(tokens.get("expires_in") or 0)
        early = min(_EARLY_REFRESH_SECONDS, lifetime / 4)
        self.expires_at = time.monotonic() + max(0.0, lifetime - early)

    def __repr__(self) -> str:  # never the tokens, whatever logs it
        return f"BackendSession(user={self.user.get('id')!r})"


class SessionStore:
    """Handle → backend session, in this process's memory.

    A restart (or another replica) does not know the handle: that browser is signed out
    and signs in again (`guard.py` turns its cookie into none). Sessions unused for
    `max_idle_seconds` (by default Chainlit's cookie lifetime, after which no browser can
    name them) are dropped at the next sign-in.
    """

    def __init__(self, api: ApiClient, *, max_idle_seconds: float | None = None) -> None:
        self.api = api
        self._sessions: dict[str, BackendSession] = {}
        if max_idle_seconds is None:
            from chainlit.config import config

            max_idle_seconds = float(config.project.user_session_timeout)
        self.max_idle_seconds = max_idle_seconds

    def _prune(self) -> None:
        oldest = time.monotonic() - self.max_idle_seconds
        for handle in [h for h, s in self._sessions.items() if s.last_used < oldest]:
            del self._sessions[handle]

    def get(self, handle: str | None) -> BackendSession | None:
        return self._sessions.get(handle) if handle else None

    def __contains__(self, handle: object) -> bool:
        return isinstance(handle, str) and handle in self._sessions

    async def login(
        self, email: str, password: str, *, client_ip: str | None = None
    ) -> tuple[str, BackendSession] | None:
        """Sign in at the backend; the new handle and session, or None if refused.

        Raises `ApiError` when the backend cannot be reached or fails.
        """
        try:
            tokens = await self.api.login(email, password, client_ip=client_ip)
        except ApiError as exc:
            if exc.status is not None and exc.status < 500:
                # Chainlit's login page has one message for every refusal, throttling too
                logger.info("UI sign-in refused: %s", exc.code)
                return None
            raise
        session = BackendSession({}, "", "", 0.0)
        session.take(tokens)
        session.user = await self.api.me(token=session.access_token)
        handle = HANDLE_PREFIX + secrets.token_urlsafe(32)
        self._prune()
        self._sessions[handle] = session
        return handle, session

    async def token(self, handle: str, *, stale: str | None = None) -> str | None:
        """A valid access token for the session, refreshed first if needed.

        `stale`: the token the backend just refused; refresh unless that already happened.
        None when the session is unknown or its refresh failed (it is then forgotten).
        """
        session = self._sessions.get(handle)
        if session is None:
            return None
        session.last_used = time.monotonic()
        async with session.lock:
            expired = time.monotonic() >= session.expires_at
            if not expired and (stale is None or stale != session.access_token):
                return session.access_token
            try:
                session.take(await self.api.refresh(session.refresh_token))
            except ApiError as exc:
                if exc.status is None or exc.status >= 500:
                    raise
                logger.info("UI session ended: refresh refused (%s)", exc.code)
                self._sessions.pop(handle, None)
                return None
            return session.access_token

    async def logout(self, handle: str) -> None:
        """Revoke the backend session (best effort) and forget it here."""
        session = self._sessions.pop(handle, None)
        if session is None:
            return
        async with session.lock:
            try:
                await self.api.logout(token=session.access_token)
            except ApiError as exc:
                if exc.status == 401:  # the access token expired: refresh, then revoke
                    try:
                        session.take(await self.api.refresh(session.refresh_token))
                        await self.api.logout(token=session.access_token)
                    except ApiError as again:
                        logger.info("UI logout: session already over (%s)", again.code)
                else:
                    logger.warning("UI logout: could not revoke the session: %s", exc.code)


def session_handle() -> str | None:
    """The handle of the user this code runs for, or None (none signed in, AUTH_MODE=none)."""
    try:
        from chainlit.context import context

        user = context.session.user
    except Exception:  # no websocket context: an HTTP route of Chainlit's
        user = None
    identifier = getattr(user, "identifier", None)
    if isinstance(identifier, str) and identifier.startswith(HANDLE_PREFIX):
        return identifier
    return current_handle.get()


class UiCredentials:
    """The token source `ApiClient` asks for each request (see `ApiClient(credentials=)`)."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    async def token(self, *, stale: str | None = None) -> str | None:
        handle = session_handle()
        if handle is None:
            return None
        return await self.store.token(handle, stale=stale)

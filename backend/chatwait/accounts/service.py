"""`Accounts`: the one object the HTTP layer and the CLI talk to.

AUTH_MODE=none has no tokens or keys: every request is the local user (`identifier =
"local"`, the row ChatWait always had), treated as the machine's admin. AUTH_MODE=local
reads one credential per request, an access JWT or an API key.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chatwait.accounts._api_keys import ApiKeys
from chatwait.accounts._cache import TtlCache
from chatwait.accounts._sessions import Sessions
from chatwait.accounts._state import Shared
from chatwait.accounts._users import Users
from chatwait.accounts.errors import AuthDisabled, Forbidden, NotAuthenticated, RegistrationClosed
from chatwait.accounts.passwords import Passwords
from chatwait.accounts.throttle import AttemptThrottle
from chatwait.accounts.tokens import AccessTokens, ApiKeyCodec, api_key_id
from chatwait.accounts.types import ApiKeyInfo, NewApiKey, Principal, Role, TokenPair, UserInfo
from chatwait.config import Settings
from chatwait.store import Database, repo


class Accounts:
    def __init__(
        self, settings: Settings, db: Database, *, passwords: Passwords | None = None
    ) -> None:
        self.local_mode = settings.auth_mode == "local"
        self._registration_open = settings.registration == "open"
        self._db = db
        cache_seconds = settings.auth_cache_seconds
        self._shared = Shared(db, TtlCache(cache_seconds), TtlCache(cache_seconds))
        self._passwords = passwords or Passwords()
        self._throttle = AttemptThrottle(
            max_attempts=settings.login_max_attempts,
            window_seconds=settings.login_window_seconds,
            redis_url=settings.redis_url,
            key_prefix=settings.redis_key_prefix,
        )
        self.users = Users(self._shared, self._passwords)
        self._local: Principal | None = None
        self._sessions: Sessions | None = None
        self._keys: ApiKeys | None = None
        if self.local_mode:
            secret = settings.secret_key.get_secret_value()
            tokens = AccessTokens(secret, timedelta(minutes=settings.access_token_minutes))
            self._sessions = Sessions(
                self._shared,
                passwords=self._passwords,
                throttle=self._throttle,
                tokens=tokens,
                refresh_lifetime=timedelta(days=settings.refresh_token_days),
            )
            self._keys = ApiKeys(self._shared, ApiKeyCodec(secret))

    # Who is asking
    async def authenticate(self, credential: str | None) -> Principal:
        """The principal of a request: its bearer credential, or the local user."""
        if not self.local_mode:
            return await self.local_principal()
        if not credential:
            raise NotAuthenticated()
        if api_key_id(credential) is not None:
            return await self._api_keys().authenticate(credential)
        return await self._logins().authenticate(credential)

    async def local_principal(self) -> Principal:
        if self._local is None:
            async with self._db.session() as session:
                user_id = await repo.ensure_user(session=session, identifier=repo.LOCAL_USER)
            self._local = Principal(user_id, None, "admin")
        return self._local

    @staticmethod
    def require_admin(principal: Principal) -> None:
        if not principal.is_admin:
            raise Forbidden("this needs an admin account")

    # Logins
    async def register(self, *, email: str, password: str, ip: str | None) -> UserInfo:
        self._logins()
        if not self._registration_open:
            raise RegistrationClosed()
        await self._throttle.register(ip=ip)
        return await self.users.create(email=email, password=password)

    async def login(self, *, email: str, password: str, ip: str | None) -> TokenPair:
        return await self._logins().login(email=email, password=password, ip=ip)

    async def refresh(self, refresh_token: str) -> TokenPair:
        return await self._logins().refresh(refresh_token)

    async def logout(self, principal: Principal) -> None:
        """End the principal's session; an API key has none (delete the key instead)."""
        sessions = self._logins()
        if principal.session_id is None:
            raise Forbidden("only a session signs out; an API key is ended by deleting it")
        await sessions.logout(principal.session_id)

    # API keys
    async def create_api_key(
        self, owner: Principal, *, name: str, expires_at: datetime | None
    ) -> NewApiKey:
        return await self._api_keys().create(owner, name=name, expires_at=expires_at)

    async def list_api_keys(self, owner: Principal) -> list[ApiKeyInfo]:
        return await self._api_keys().list(owner)

    async def delete_api_key(self, owner: Principal, key_id: str) -> None:
        await self._api_keys().delete(owner, key_id)

    # Admin
    async def admin_list_users(self, actor: Principal) -> list[UserInfo]:
        self._logins()
        self.require_admin(actor)
        return await self.users.list()

    async def admin_create_user(
        self, actor: Principal, *, email: str, password: str, role: Role
    ) -> UserInfo:
        self._logins()
        self.require_admin(actor)
        return await self.users.create(email=email, password=password, role=role, actor=actor)

    async def admin_update_user(
        self, actor: Principal, user_id: str, *, role: Role | None, disabled: bool | None
    ) -> UserInfo:
        self._logins()
        self.require_admin(actor)
        return await self.users.update(actor, user_id, role=role, disabled=disabled)

    async def close(self) -> None:
        await self._throttle.close()

    def _logins(self) -> Sessions:
        if self._sessions is None:
            raise AuthDisabled()
        return self._sessions

    def _api_keys(self) -> ApiKeys:
        if self._keys is None:
            raise AuthDisabled()
        return self._keys

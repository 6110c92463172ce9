"""Accounts themselves: create (registration, admins, the CLI), list, change role or disable."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from chatwait.accounts import _queries as q
from chatwait.accounts._state import Shared, aware
from chatwait.accounts.errors import EmailTaken
from chatwait.accounts.passwords import Passwords, check_password, normalize_email
from chatwait.accounts.types import ROLES, Principal, Role, UserInfo
from chatwait.errors import Conflict, NotFound, ValidationFailed
from chatwait.store import audit
from chatwait.store.models import User


def user_info(user: User) -> UserInfo:
    role: Role = "admin" if user.role == "admin" else "user"
    return UserInfo(user.id, user.email, role, user.disabled, aware(user.created_at))


class Users:
    def __init__(self, shared: Shared, passwords: Passwords) -> None:
        self._shared = shared
        self._passwords = passwords

    async def create(
        self, *, email: str, password: str, role: Role = "user", actor: Principal | None = None
    ) -> UserInfo:
        """A new account; `EmailTaken` if the normalised email has one. An admin `actor`'s
        creation is audited."""
        email = normalize_email(email)
        check_password(password)
        if role not in ROLES:
            raise ValidationFailed(f"role: one of {', '.join(ROLES)}")
        async with self._shared.db.session() as session:
            if await q.user_by_email(session=session, email=email) is not None:
                raise EmailTaken()
        password_hash = await self._passwords.hash(password)
        try:
            async with self._shared.db.session() as session:
                user = await q.add_user(
                    session=session, email=email, password_hash=password_hash, role=role
                )
                if actor is not None:
                    await audit.record(
                        session=session,
                        actor_id=actor.user_id,
                        actor_email=actor.email,
                        action="user.create",
                        target=f"user:{user.id}",
                        before=None,
                        after={"email": email, "role": role, "disabled": False},
                    )
                return user_info(user)
        except IntegrityError:  # the same email registered meanwhile
            raise EmailTaken() from None

    async def list(self) -> list[UserInfo]:
        async with self._shared.db.session() as session:
            return [user_info(user) for user in await q.all_users(session=session)]

    async def update(
        self,
        actor: Principal,
        user_id: str,
        *,
        role: Role | None = None,
        disabled: bool | None = None,
    ) -> UserInfo:
        """Change role or disabled; takes effect on this replica's next request at once.

        Disabling also ends the user's sessions: enabled again, they log in anew. Their API
        keys stay, refused while the account is disabled.
        """
        if actor.user_id == user_id and (disabled or role == "user"):
            raise Conflict("an admin cannot disable or demote their own account")
        async with self._shared.db.session() as session:
            user = await q.user_by_id(session=session, user_id=user_id)
            if user is None or user.email is None:
                raise NotFound("no such user")
            before = {"role": user.role, "disabled": user.disabled}
            if role is not None:
                user.role = role
            if disabled is not None:
                user.disabled = disabled
            if disabled:
                await q.revoke_user_sessions(session=session, user_id=user_id, reason="disabled")
            await session.flush()
            after = {"role": user.role, "disabled": user.disabled}
            if after != before:
                await audit.record(
                    session=session,
                    actor_id=actor.user_id,
                    actor_email=actor.email,
                    action="user.update",
                    target=f"user:{user_id}",
                    before=before,
                    after=after,
                )
            info = user_info(user)
        self._shared.forget_user(user_id)
        return info

"""What the account layer hands out: who is asking, users, token pairs, API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias

Role: TypeAlias = Literal["user", "admin"]
ROLES: tuple[Role, ...] = ("user", "admin")


@dataclass(frozen=True, slots=True)
class Principal:
    """The user a request acts for, and what it proved that with.

    `user_id` is the owner to scope every repository call by; `session_id` is set for an
    access token, `api_key_id` for an API key, neither for the AUTH_MODE=none local user.
    """

    user_id: str
    email: str | None
    role: Role
    session_id: str | None = None
    api_key_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: str
    email: str | None
    role: Role
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What login and refresh answer: a short-lived access JWT and its refresh token."""

    access_token: str
    refresh_token: str
    expires_in: int
    """Seconds the access token is valid for."""


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """An API key as listed: never the key itself."""

    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A key just made: `key` is shown this once and never stored."""

    info: ApiKeyInfo
    key: str

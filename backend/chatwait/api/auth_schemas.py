"""Request and response bodies of the account routes (`/auth`, `/me`, `/admin`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chatwait.accounts import ApiKeyInfo, Role, UserInfo
from chatwait.api.limit_schemas import LimitsPatch

_EMAIL = Field(min_length=1, max_length=320, description="Matched without regard to case.")
_PASSWORD = Field(min_length=1, max_length=1024)


class Credentials(BaseModel):
    """Body of `POST /auth/login` and `POST /auth/register` (passwords: 12+ characters)."""

    model_config = ConfigDict(extra="forbid")

    email: str = _EMAIL
    password: str = _PASSWORD


class NewUser(Credentials):
    """Body of `POST /admin/users`."""

    role: Role = "user"


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds the access token is valid for.")


class UserPublic(BaseModel):
    id: str
    email: str | None
    role: Role


class AdminUserPublic(UserPublic):
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: UserInfo) -> AdminUserPublic:
        return cls(
            id=user.id,
            email=user.email,
            role=user.role,
            disabled=user.disabled,
            created_at=user.created_at,
        )


class AdminUserWithLimits(AdminUserPublic):
    """`PATCH /admin/users/{id}`'s answer: the user and their limit overrides."""

    limits: dict[str, Any] = Field(
        default_factory=dict, description="This user's overrides (absent: the server default)."
    )


class UserList(BaseModel):
    users: list[AdminUserPublic]


class UserPatch(BaseModel):
    """Body of `PATCH /admin/users/{id}`: a disabled user's tokens and keys stop at once."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    disabled: bool | None = None
    limits: LimitsPatch | None = None
    """Per-user limit overrides (docs/limits.md)."""


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    expires_at: datetime | None = Field(None, description="Never, when omitted.")


class ApiKeyPublic(BaseModel):
    """An API key as listed: never the key."""

    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None

    @classmethod
    def of(cls, info: ApiKeyInfo) -> ApiKeyPublic:
        return cls(
            id=info.id,
            name=info.name,
            prefix=info.prefix,
            created_at=info.created_at,
            last_used_at=info.last_used_at,
            expires_at=info.expires_at,
        )


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="Shown this once; send it as `Authorization: Bearer <key>`.")


class ApiKeyList(BaseModel):
    api_keys: list[ApiKeyPublic]

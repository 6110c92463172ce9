"""Admins manage accounts. The router requires `role: admin` (others get 403)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, status

from chatwait.api.auth_schemas import (
    AdminUserPublic,
    AdminUserWithLimits,
    NewUser,
    UserList,
    UserPatch,
)
from chatwait.api.deps import AccountsDep, AdminUser, LimitsDep, admin_user
from chatwait.api.schemas import error_responses
from chatwait.limits import UsageList

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    dependencies=[Depends(admin_user)],
    responses=error_responses(403),
)
_ERRORS = error_responses(400, 404, 409, 422)


@router.get("/users", response_model=UserList, responses=_ERRORS)
async def list_users(admin: AdminUser, accounts: AccountsDep) -> UserList:
    """Every account, oldest first."""
    users = await accounts.admin_list_users(admin)
    return UserList(users=[AdminUserPublic.of(user) for user in users])


@router.post(
    "/users",
    response_model=AdminUserPublic,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
async def create_user(body: NewUser, admin: AdminUser, accounts: AccountsDep) -> AdminUserPublic:
    """A new account, whatever REGISTRATION says."""
    user = await accounts.admin_create_user(
        admin, email=body.email, password=body.password, role=body.role
    )
    return AdminUserPublic.of(user)


@router.patch("/users/{user_id}", response_model=AdminUserWithLimits, responses=_ERRORS)
async def update_user(
    user_id: uuid.UUID,
    body: UserPatch,
    admin: AdminUser,
    accounts: AccountsDep,
    limits: LimitsDep,
) -> AdminUserWithLimits:
    """Change a user's role, disable them (their tokens and keys stop at once), or
    override their limits (`{"limits": {"tokens_per_day": 50000}}`, docs/limits.md)."""
    user = await accounts.admin_update_user(
        admin, str(user_id), role=body.role, disabled=body.disabled
    )
    if body.limits is not None:
        overrides = await limits.set_overrides(user.id, body.limits.changes())
    else:
        overrides = await limits.overrides(user.id)
    return AdminUserWithLimits(**AdminUserPublic.of(user).model_dump(), limits=overrides)


@router.get("/usage", response_model=UsageList, responses=_ERRORS)
async def usage(limits: LimitsDep) -> UsageList:
    """Every user's limits, overrides and usage (today's tokens, this month's cost)."""
    return UsageList(users=await limits.all_usage())

"""Admins manage accounts and agents and read the audit log. The router requires
`role: admin` (others get 403)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from chatwait.api.auth_schemas import (
    AdminUserPublic,
    AdminUserWithLimits,
    NewUser,
    UserList,
    UserPatch,
)
from chatwait.api.catalog_schemas import (
    AdminAgentList,
    AdminAgentPublic,
    AgentPatch,
    AuditPage,
    AuditPublic,
)
from chatwait.api.deps import AccountsDep, AdminUser, CatalogDep, LimitsDep, admin_user
from chatwait.api.schemas import error_responses
from chatwait.catalog import Actor
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
        actor = Actor(admin.user_id, admin.email)
        overrides = await limits.set_overrides(user.id, body.limits.changes(), actor=actor)
    else:
        overrides = await limits.overrides(user.id)
    return AdminUserWithLimits(**AdminUserPublic.of(user).model_dump(), limits=overrides)


@router.get("/usage", response_model=UsageList, responses=_ERRORS)
async def usage(limits: LimitsDep) -> UsageList:
    """Every user's limits, overrides and usage (today's tokens, this month's cost)."""
    return UsageList(users=await limits.all_usage())


@router.get("/agents", response_model=AdminAgentList)
async def list_agents(catalog: CatalogDep) -> AdminAgentList:
    """Every agent with its toggle: enabled, the model allowlist, who set it when."""
    return AdminAgentList(agents=[AdminAgentPublic.of(a) for a in await catalog.admin_agents()])


@router.patch("/agents/{name}", response_model=AdminAgentPublic, responses=_ERRORS)
async def update_agent(
    name: Annotated[str, Path(max_length=64)],
    body: AgentPatch,
    admin: AdminUser,
    catalog: CatalogDep,
) -> AdminAgentPublic:
    """Turn an agent off or on, or allow only some of its models (`models: null`: all).
    Every replica applies it within AGENT_SETTINGS_CACHE_SECONDS, with no restart."""
    agent = await catalog.admin_update(
        Actor(admin.user_id, admin.email),
        name,
        enabled=body.enabled,
        models=body.models,
        models_given="models" in body.model_fields_set,
    )
    return AdminAgentPublic.of(agent)


MAX_ROW_ID = 2**31 - 1
"""The largest audit id: its column is an `Integer` (int4 on Postgres), so a larger
cursor cannot be bound there (nor past 64 bits on SQLite); it is a 422, not a 500."""


@router.get("/audit", response_model=AuditPage, responses=_ERRORS)
async def list_audit(
    catalog: CatalogDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ROW_ID, description="An earlier page's next_before.")
    ] = None,
) -> AuditPage:
    """Every admin change, newest first: who, what, when, before and after."""
    entries = await catalog.audit(limit=limit, before_id=before)
    next_before = entries[-1].id if len(entries) == limit else None
    return AuditPage(entries=[AuditPublic.of(e) for e in entries], next_before=next_before)

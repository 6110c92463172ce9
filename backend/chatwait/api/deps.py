"""Request dependencies as named `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from chatwait.accounts import Accounts, Principal
from chatwait.api.sse_response import StreamWatch
from chatwait.catalog import AgentCatalog
from chatwait.errors import NotFound
from chatwait.limits import Limits
from chatwait.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    """The app's runtime. `async def`: FastAPI runs a plain `def` dependency in its
    thread pool, a thread hop (and GIL handoff) on every request for an attribute read."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_stream_watch(request: Request) -> StreamWatch:
    """The app's SSE streams' watch (pings, send timeout, shutdown)."""
    watch: StreamWatch = request.app.state.streams
    return watch


StreamWatchDep = Annotated[StreamWatch, Depends(get_stream_watch)]


async def get_limits(runtime: RuntimeDep) -> Limits:
    if runtime.limits is None:
        raise NotFound("this server keeps no limits")
    return runtime.limits


LimitsDep = Annotated[Limits, Depends(get_limits)]


async def get_catalog(request: Request) -> AgentCatalog:
    """Each user's agents: the registry, admin toggles, their own provider keys."""
    runtime: Runtime = request.app.state.runtime
    return runtime.turns.catalog


CatalogDep = Annotated[AgentCatalog, Depends(get_catalog)]


async def get_accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


AccountsDep = Annotated[Accounts, Depends(get_accounts)]

_bearer = HTTPBearer(
    auto_error=False,
    description="An access token from POST /auth/login, or an API key (cw_…).",
)


async def current_user(
    request: Request,
    accounts: AccountsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Who the request acts for.

    AUTH_MODE=local: the `Authorization: Bearer` credential, the only place one is read
    from (no cookie, no query parameter), else 401 with `WWW-Authenticate: Bearer`.
    AUTH_MODE=none: the local user. Installed on whole routers (`api/routes/__init__.py`),
    so a route added there cannot forget it; FastAPI resolves it once per request.
    """
    token = credentials.credentials if credentials is not None else None
    principal = await accounts.authenticate(token)
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]
"""The signed-in user; scope every repository call by `user.user_id`."""


async def admin_user(user: CurrentUser, accounts: AccountsDep) -> Principal:
    accounts.require_admin(user)
    return user


AdminUser = Annotated[Principal, Depends(admin_user)]


def client_ip(request: Request) -> str | None:
    """The client's address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
    return request.client.host if request.client else None

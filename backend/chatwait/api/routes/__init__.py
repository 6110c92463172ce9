"""One router per resource, gathered here, in two groups.

`open_routes` take no account credentials: `/healthz`, the routes that hand credentials
out, `/shared/{token}` (the token is the credential) and `/metrics` (it checks
METRICS_TOKEN or an admin itself).
Everything else is in `protected_routes`, whose router-level dependency resolves the
caller (`api.deps.current_user`): a route added to any router included there cannot
forget authentication.
"""

from fastapi import APIRouter, Depends

from chatwait.api.deps import current_user
from chatwait.api.routes import (
    admin,
    auth,
    chat,
    compare,
    conversations,
    health,
    me,
    meta,
    metrics,
    sharing,
)
from chatwait.api.schemas import ErrorBody

open_routes = APIRouter()
open_routes.include_router(health.router)
open_routes.include_router(auth.router)
open_routes.include_router(sharing.open_router)
open_routes.include_router(metrics.router)  # checks its own credential (METRICS_TOKEN)

protected_routes = APIRouter(
    dependencies=[Depends(current_user)], responses={401: {"model": ErrorBody}}
)
protected_routes.include_router(auth.session_router)
protected_routes.include_router(chat.router)
protected_routes.include_router(compare.router)
protected_routes.include_router(conversations.router)
protected_routes.include_router(sharing.router)
protected_routes.include_router(meta.router)
protected_routes.include_router(me.router)
protected_routes.include_router(admin.router)

api_router = APIRouter()
api_router.include_router(open_routes)
api_router.include_router(protected_routes)

__all__ = ["api_router", "open_routes", "protected_routes"]

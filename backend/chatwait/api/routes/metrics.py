"""`GET /metrics`: this process's Prometheus metrics, for admins or the METRICS_TOKEN.

It is among the open routes (no account needed) because a scraper holds no account: the
route checks its own credential, `METRICS_TOKEN` (compared in constant time) or an admin's
token or API key. With AUTH_MODE=none the local user is the admin, as everywhere.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from chatwait.api.deps import AccountsDep, RuntimeDep
from chatwait.api.schemas import error_responses
from chatwait.metrics import CONTENT_TYPE

router = APIRouter(tags=["meta"])
_bearer = HTTPBearer(
    auto_error=False, description="METRICS_TOKEN, or an admin's access token or API key."
)


async def metrics_reader(
    runtime: RuntimeDep,
    accounts: AccountsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the METRICS_TOKEN or an admin through; 401 or 403 otherwise."""
    token = credentials.credentials if credentials is not None else None
    expected = runtime.settings.metrics_token
    if token and expected and hmac.compare_digest(token, expected.get_secret_value()):
        return
    accounts.require_admin(await accounts.authenticate(token))


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(metrics_reader)],
    responses={200: {"content": {CONTENT_TYPE: {}}}, **error_responses(401, 403)},
)
async def metrics(runtime: RuntimeDep) -> Response:
    """Turns and runs by agent and status, TTFT and latency histograms per agent, tokens,
    cost, open streams, provider errors by code, refused requests by limit."""
    return Response(runtime.metrics.exposition(), media_type=CONTENT_TYPE)

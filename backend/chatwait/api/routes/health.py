"""Health: the one route a load balancer calls, so it takes no credentials."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from chatwait.api.deps import RuntimeDep
from chatwait.api.schemas import Health

router = APIRouter(tags=["meta"])


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
async def health(runtime: RuntimeDep) -> Any:
    """Up, with a database that answers."""
    kind = "redis" if runtime.settings.redis_url else "memory"
    try:
        await runtime.db.ping()
    except Exception:  # noqa: BLE001 - health reports, it does not raise
        return JSONResponse(
            {"status": "error", "database": "unreachable", "event_log": kind}, status_code=503
        )
    return {"status": "ok", "database": "ok", "event_log": kind}

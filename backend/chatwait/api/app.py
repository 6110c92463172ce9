"""The FastAPI application: routes, error mapping, logs, the offline provider, the UI."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from chatwait.api.access_log import RequestLogMiddleware, configure_logging
from chatwait.api.body_limit import BodyLimitMiddleware
from chatwait.api.errors import install_error_handlers
from chatwait.api.routes import api_router
from chatwait.api.sse import install_cut_stream_filter
from chatwait.config import Settings, get_settings
from chatwait.runtime import Runtime

logger = logging.getLogger("chatwait.api")


def freeze_startup_heap() -> None:
    """Put what imports and start-up allocated out of the collector's reach (`gc.freeze`).

    A started server holds ~300k objects, and every full collection walked them all: a
    100-170 ms pause on the token path every few seconds under load, the TTFT and delivery
    p99 outliers of docs/benchmarks.md. Frozen, a full collection walks only what turns
    allocated since (tens of ms at most); refcounting still frees frozen objects.
    """
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The whole server for `settings`; the runtime starts with the app's lifespan."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    install_cut_stream_filter()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings)
        app.state.runtime = runtime
        freeze_startup_heap()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="ChatWait",
        version="0.1.0",
        description="One prompt, several agents: wait for every answer or stream them all.",
        lifespan=lifespan,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Content-Type", "Last-Event-ID", "X-Request-ID"],
            expose_headers=["X-Turn-Id", "X-Request-ID"],
        )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestLogMiddleware)
    install_error_handlers(app)
    app.include_router(api_router)
    if settings.offline_enabled and not settings.offline_base_url:
        from chatwait.sim import SimConfig, create_sim_app

        app.mount("/sim", create_sim_app(SimConfig.from_settings(settings)))
    if settings.ui_enabled:
        _mount_ui(app, settings)
    return app


def _mount_ui(app: FastAPI, settings: Settings) -> None:
    try:
        from chatwait.ui import mount_ui
    except ImportError:
        logger.warning("the UI is not installed; serving the API only")
        return
    mount_ui(app, settings)

"""The FastAPI application: routes, error mapping, logs, the offline provider, the UI."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from chatwait.accounts import Accounts
from chatwait.api.access_log import RequestLogMiddleware, configure_logging
from chatwait.api.after_routing import SendAfterRouting
from chatwait.api.auth_errors import install_account_error_handler
from chatwait.api.body_limit import BodyLimitMiddleware
from chatwait.api.errors import install_error_handlers
from chatwait.api.hosts import TrustedHostMiddleware
from chatwait.api.origin_guard import OriginGuardMiddleware
from chatwait.api.ratelimit import install_limit_error_handler
from chatwait.api.routes import api_router
from chatwait.api.security_headers import SecurityHeadersMiddleware
from chatwait.api.sse_response import StreamWatch, install_cut_stream_filter
from chatwait.config import Settings, get_settings, refuse_unsafe
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
    """The whole server for `settings`; the runtime starts with the app's lifespan.

    Raises `UnsafeSettings` for a setup that would serve strangers without a login.
    """
    settings = settings or get_settings()
    refuse_unsafe(settings)
    configure_logging(settings.log_level)
    install_cut_stream_filter()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings)
        app.state.runtime = runtime
        app.state.accounts = Accounts(settings, runtime.db)
        freeze_startup_heap()
        try:
            yield
        finally:
            await app.state.accounts.close()
            await runtime.stop()

    app = FastAPI(
        title="ChatWait",
        version="0.1.0",
        description="One prompt, several agents: wait for every answer or stream them all.",
        lifespan=lifespan,
    )
    app.state.streams = StreamWatch(
        ping_seconds=settings.sse_ping_seconds,
        send_timeout_seconds=settings.sse_send_timeout_seconds,
    )
    _install_middleware(app, settings)
    install_error_handlers(app)
    install_account_error_handler(app)
    install_limit_error_handler(app)
    app.include_router(api_router)
    if settings.offline_enabled and not settings.offline_base_url:
        from chatwait.sim import SimConfig, create_sim_app

        app.mount("/sim", create_sim_app(SimConfig.from_settings(settings)))
    if settings.ui_enabled:
        _mount_ui(app, settings)
    if settings.auth_mode == "none":
        _document_without_auth(app)
    return app


def _document_without_auth(app: FastAPI) -> None:
    """AUTH_MODE=none reads no credentials: its OpenAPI document asks for none either."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            for operations in spec.get("paths", {}).values():
                for operation in operations.values():
                    operation.pop("security", None)
                    operation.get("responses", {}).pop("401", None)
            spec.get("components", {}).pop("securitySchemes", None)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    """Outermost first: log, add headers, check Host, limit the body, CORS, check Origin,
    then send long responses once routing returned (`after_routing`)."""
    trusted_origins = list(settings.cors_origins)
    if settings.public_url:
        trusted_origins.append(settings.public_url)
    app.add_middleware(SendAfterRouting)
    app.add_middleware(OriginGuardMiddleware, trusted=trusted_origins)
    if settings.cors_origins:
        # Bearer tokens, not cookies: no credentialed CORS, and never a wildcard origin.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[origin for origin in settings.cors_origins if origin != "*"],
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "Last-Event-ID",
                "X-Request-ID",
            ],
            expose_headers=[
                "X-Turn-Id",
                "X-Request-ID",
                "Retry-After",
                "RateLimit",
                "RateLimit-Policy",
            ],
        )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(TrustedHostMiddleware, allowed=settings.resolved_allowed_hosts)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestLogMiddleware)


def _mount_ui(app: FastAPI, settings: Settings) -> None:
    try:
        from chatwait.ui import mount_ui
    except ImportError:
        logger.warning("the UI is not installed; serving the API only")
        return
    mount_ui(app, settings)

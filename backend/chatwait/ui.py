"""Serve the Chainlit UI (`frontend/`) from the API process, at `/`, same origin.

`create_app` calls `mount_ui` last, so every API route is matched before Chainlit's
catch-all. The UI is still only a client of the public HTTP API: it reaches this process
over HTTP at `CHATWAIT_API_URL` and never imports backend modules.

Caveats of mounting Chainlit (handled here):
- Importing `chainlit` reads its config from, and writes `.chainlit/` and `.files/`
  into, `CHAINLIT_APP_ROOT`: it must point at `frontend/` before the first import, so
  chainlit is imported lazily inside `mount_ui`.
- Chainlit's own lifespan does not run for a mounted sub-app, so neither does its
  cleanup: closing the data layer (our HTTP client) and this process's session files
  are chained onto this app's lifespan instead.
- Sign-in needs `CHAINLIT_AUTH_SECRET`; one is generated once and kept in the data
  directory so browser sessions survive restarts (with `AUTH_MODE=local` the backend
  sessions behind them live in the UI's memory, so a restart signs users out anyway).
- The UI must know `AUTH_MODE` (login page or the local user): it gets it as
  `CHATWAIT_UI_AUTH_MODE`.
- Chainlit's CORS takes `allow_origins` from `.chainlit/config.toml` (with credentials),
  and its catch-all page answers any GET: its CORS is set to `CORS_ORIGINS` here, and
  paths under the API's prefixes never reach it (`api.api_paths.ApiPathGuard`).
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from chatwait.api.api_paths import guard_ui_mount
from chatwait.config import Settings

__all__ = ["frontend_dir", "mount_ui"]

logger = logging.getLogger(__name__)

_SECRET_FILE = "chainlit-auth-secret"


def frontend_dir() -> Path | None:
    """`frontend/` of this checkout (backend/chatwait/ui.py → ../../frontend), if present."""
    candidate = Path(__file__).resolve().parents[2] / "frontend"
    return candidate if (candidate / "app.py").is_file() else None


def mount_ui(app: FastAPI, settings: Settings) -> None:
    """Mount the Chainlit app at `/`; log and skip when `frontend/` is not there."""
    root = frontend_dir()
    if root is None:
        logger.warning(
            "UI enabled but no frontend/app.py next to the backend; serving the API only"
        )
        return
    _point_chainlit_at(root)
    os.environ.setdefault("CHATWAIT_API_URL", settings.ui_api_url or settings.resolved_public_url)
    os.environ.setdefault("CHAINLIT_AUTH_SECRET", _auth_secret(settings.data_dir))
    os.environ["CHATWAIT_UI_AUTH_MODE"] = settings.auth_mode  # login page or local user

    from chainlit.utils import mount_chainlit

    mount_chainlit(app, target=str(root / "app.py"), path="/")
    _drop_path_filter()
    _cors_from_settings(settings.cors_origins)
    guard_ui_mount(app)
    _on_shutdown(app, _close_chainlit)
    logger.info("UI mounted at / (API at %s)", os.environ["CHATWAIT_API_URL"])


def _point_chainlit_at(root: Path) -> None:
    """Set `CHAINLIT_APP_ROOT` before chainlit is imported (it is read at import time)."""
    os.environ.setdefault("CHAINLIT_APP_ROOT", str(root))
    if "chainlit.config" in sys.modules:
        from chainlit.config import APP_ROOT

        if Path(APP_ROOT).resolve() != Path(os.environ["CHAINLIT_APP_ROOT"]).resolve():
            logger.warning("chainlit was imported before mount_ui; its app root is %s", APP_ROOT)


def _drop_path_filter() -> None:
    """Remove the middleware `mount_chainlit` adds to 404 paths outside its mount path.

    Mounted at `/` it lets every path through, but as a `BaseHTTPMiddleware` it turns a
    request the browser aborts (the login page's logo, on every first visit) into an
    "Exception in ASGI application: No response returned" error in the logs.
    """
    from chainlit.server import app as chainlit_app

    chainlit_app.user_middleware = [
        m
        for m in chainlit_app.user_middleware
        if getattr(m.cls, "__name__", "") != "ChainlitMiddleware"
    ]


def _cors_from_settings(origins: list[str]) -> None:
    """Chainlit's CORS middleware for `CORS_ORIGINS` only, whatever config.toml says.

    Chainlit adds it at import with `config.project.allow_origins` (default `["*"]`, which
    it answers with the caller's origin and `allow-credentials: true`); the middleware
    stack is built on the first request, so replacing the entry's options here is enough.
    """
    from chainlit.config import config
    from chainlit.server import app as chainlit_app
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware

    allowed = [origin for origin in origins if origin != "*"]
    config.project.allow_origins = allowed
    chainlit_app.user_middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=allowed,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
        if getattr(m, "cls", None) is CORSMiddleware
        else m
        for m in chainlit_app.user_middleware
    ]


def _auth_secret(data_dir: Path) -> str:
    """A JWT secret for Chainlit's auth cookie, created once per data directory."""
    path = data_dir / _SECRET_FILE
    try:
        if path.is_file():
            secret = path.read_text(encoding="utf-8").strip()
            if secret:
                return secret
        data_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        path.write_text(secret, encoding="utf-8")
        path.chmod(0o600)
        return secret
    except OSError as exc:
        logger.warning(
            "cannot keep the UI auth secret in %s (%s); using a per-process one", path, exc
        )
        return secrets.token_urlsafe(48)


async def _close_chainlit() -> None:
    """What Chainlit's skipped lifespan would do on shutdown, for this process only.

    Chainlit removes the whole `.files/` directory; other processes serving the same
    `frontend/` may still use it, so only this process's sessions (and their files) are
    cleared.
    """
    from chainlit.data import get_data_layer
    from chainlit.session import ws_sessions_id

    sessions = list(ws_sessions_id.values())
    for session in sessions:
        await session.delete()
    data_layer = get_data_layer()
    if data_layer is not None:
        await data_layer.close()
    logger.info("UI closed (%d sessions)", len(sessions))


def _on_shutdown(app: FastAPI, hook: Callable[[], Awaitable[None]]) -> None:
    """Run `hook` after the app's own lifespan ends."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        async with inner(asgi_app) as state:
            try:
                yield state
            finally:
                try:
                    await hook()
                except Exception:
                    logger.exception("UI shutdown hook failed")

    app.router.lifespan_context = lifespan

"""Keep the API's paths answering like the API when the UI is mounted at `/`.

The UI is a mount at `/` whose catch-all serves its page for any GET, so a path the API
routes did not fully match fell through to it: `GET /chat/wait` and unknown paths under
`/chat/` got 200 `text/html`, `PUT /chat/wait` a 405 `Allow: GET` with `{"detail": …}`.
`ApiPathGuard` stands in front of the UI: a request under one of the API's path prefixes
gets the JSON error the API gives without the UI, 405 with the methods the API serves
for that path in `Allow`, or 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from starlette.routing import Mount, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from chatwait.api.errors import error_response

SHARED_FIRST_SEGMENTS = frozenset({"auth"})
"""Prefixes the UI serves paths under too (Chainlit's `/auth/config`, `/auth/header`…):
only the API's own paths below them are the API's."""


def api_prefixes(paths: Iterable[str]) -> tuple[str, ...]:
    """`/chat`, `/conversations`, … and `/auth/login`-style paths, from the API's paths."""
    prefixes: set[str] = set()
    for path in paths:
        segments = [s for s in path.split("/") if s]
        if not segments or segments[0].startswith("{"):
            continue
        depth = 2 if segments[0] in SHARED_FIRST_SEGMENTS else 1
        prefixes.add("/" + "/".join(segments[:depth]))
    return tuple(sorted(prefixes))


def under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


class ApiPathGuard:
    """The UI app, except for paths under the API's prefixes.

    The API's paths and methods come from its OpenAPI document (read on the first
    request, when every route is in): FastAPI keeps included routers nested, so the
    app's route list does not show them.
    """

    def __init__(self, ui: ASGIApp, api: FastAPI) -> None:
        self.ui = ui
        self.api = api
        self._paths: list[tuple[re.Pattern[str], list[str]]] | None = None
        self._prefixes: tuple[str, ...] = ()

    def _load(self) -> list[tuple[re.Pattern[str], list[str]]]:
        if self._paths is None:
            spec: dict[str, dict[str, Any]] = self.api.openapi().get("paths", {})
            self._prefixes = api_prefixes(spec)
            self._paths = [
                (compile_path(template)[0], sorted(method.upper() for method in operations))
                for template, operations in spec.items()
            ]
        return self._paths

    def allowed_methods(self, path: str) -> list[str]:
        """The methods the API serves at this path (as the API's own 405 lists them)."""
        methods: set[str] = set()
        for pattern, allowed in self._load():
            if pattern.match(path):
                methods |= set(allowed)
        return sorted(methods)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._load()
        if scope["type"] != "http" or not under(scope["path"], self._prefixes):
            await self.ui(scope, receive, send)
            return
        allowed = self.allowed_methods(scope["path"])
        if allowed:
            headers = {"Allow": ", ".join(allowed)}
            response = error_response(405, "method_not_allowed", "Method Not Allowed", headers)
        else:
            response = error_response(404, "not_found", "Not Found")
        await response(scope, receive, send)


def guard_ui_mount(app: FastAPI) -> None:
    """Put `ApiPathGuard` in front of the app's last route, the UI's mount at `/`."""
    mount = app.router.routes[-1]
    if isinstance(mount, Mount) and mount.path == "":
        mount.app = ApiPathGuard(mount.app, app)

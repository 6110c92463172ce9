"""Serve only the `Host` names this server is known by (ALLOWED_HOSTS), else 400 JSON.

A page on an attacker's domain can point that domain's DNS at 127.0.0.1 (DNS rebinding)
and then read a loopback server as same-origin; its requests still say the attacker's
name in `Host`. Starlette's `TrustedHostMiddleware` answers in plain text: this one keeps
the JSON error body and checks WebSocket handshakes (the UI's socket) too.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from chatwait.api.errors import error_response


def host_name(host_header: str) -> str:
    """`example.com:8000` → `example.com`; `[::1]:8000` → `[::1]`; lower case."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class TrustedHostMiddleware:
    """`allowed`: exact names, `*.example.com` for subdomains, or `*` for any."""

    def __init__(self, app: ASGIApp, *, allowed: list[str]) -> None:
        self.app = app
        self.any = "*" in allowed
        self.exact = {host.lower() for host in allowed if not host.startswith("*")}
        self.suffixes = tuple(host[1:].lower() for host in allowed if host.startswith("*."))

    def allows(self, host_header: str) -> bool:
        name = host_name(host_header)
        return self.any or name in self.exact or (bool(name) and name.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self.allows(Headers(scope=scope).get("host", "")):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            message = "this server does not answer to that Host name (see ALLOWED_HOSTS)"
            await error_response(400, "invalid_host", message)(scope, receive, send)

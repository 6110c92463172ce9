"""An ASGI middleware in front of Chainlit: who is connecting, and stale sign-ins.

- It records the client's address (as uvicorn resolved it, forwarded headers included)
  for the request: header auth (`AUTH_MODE=none`) signs in loopback clients only, and
  password sign-in passes the address to the backend's login throttling.
- With accounts, a Chainlit cookie whose backend session this process no longer holds
  (signed out elsewhere, refresh refused, server restarted) is dropped from the request,
  so Chainlit answers as for no cookie and the browser shows the login page, instead of
  a signed-in page whose every call fails.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from contextvars import ContextVar

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["UiGuard", "client_address", "is_loopback_client"]

client_address: ContextVar[str | None] = ContextVar("chatwait_ui_client", default=None)


def is_loopback_client(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


class UiGuard:
    """`known(identifier)`: whether a signed-in Chainlit user still has its session."""

    def __init__(self, app: ASGIApp, *, known: Callable[[str], bool] | None = None) -> None:
        self.app = app
        self.known = known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        reset = client_address.set(client[0] if client else None)
        try:
            if self.known is not None:
                scope = self._without_stale_sign_in(scope)
            await self.app(scope, receive, send)
        finally:
            client_address.reset(reset)

    def _without_stale_sign_in(self, scope: Scope) -> Scope:
        from chainlit.auth.cookie import _auth_cookie_name, get_token_from_cookies
        from chainlit.auth.jwt import decode_jwt

        raw = b"; ".join(v for k, v in scope.get("headers", []) if k == b"cookie")
        if not raw:
            return scope
        cookies = cookie_parser(raw.decode("latin-1"))
        token = get_token_from_cookies(cookies)
        if not token:
            return scope
        try:
            identifier = decode_jwt(token).identifier
        except Exception:
            return scope  # not ours to judge: Chainlit refuses it itself
        assert self.known is not None
        if self.known(identifier):
            return scope
        kept = "; ".join(
            f"{name}={value}"
            for name, value in cookies.items()
            if name != _auth_cookie_name and not name.startswith(_auth_cookie_name + "_")
        )
        headers = [(k, v) for k, v in scope["headers"] if k != b"cookie"]
        if kept:
            headers.append((b"cookie", kept.encode("latin-1")))
        return {**scope, "headers": headers}

"""Refuse state-changing requests and WebSocket handshakes sent by other origins' pages.

CORS only stops a page from *reading* answers: a form post, a `fetch` with `no-cors` or
a WebSocket from a page on another port or domain still reaches the server, carrying the
browser's cookies when the sites are "same-site" (localhost on another port is). Browsers
name the page in `Origin`; a request whose `Origin` is neither this server's own (the
`Host` it was sent to), CHATWAIT_PUBLIC_URL's, nor one in CORS_ORIGINS is refused with
403 before any route runs. Clients that are not browsers send no `Origin` and pass.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from chatwait.api.errors import error_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower case."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


class OriginGuardMiddleware:
    def __init__(self, app: ASGIApp, *, trusted: list[str]) -> None:
        self.app = app
        self.trusted = {origin_of(origin) for origin in trusted if origin != "*"}

    def allows(self, origin: str, host: str) -> bool:
        if origin_of(origin) in self.trusted:
            return True
        parts = urlsplit(origin.strip())
        return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        checked = scope["type"] == "websocket" or (
            scope["type"] == "http" and scope["method"] not in SAFE_METHODS
        )
        if not checked:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None or self.allows(origin, headers.get("host", "")):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            message = "cross-origin request refused: this origin is not in CORS_ORIGINS"
            await error_response(403, "cross_origin", message)(scope, receive, send)

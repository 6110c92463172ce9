"""Long responses sent after FastAPI's routing has returned, so its objects go first.

A response sent from inside a route keeps every frame between the middleware and the
route alive for as long as it sends: the router's and the route's, FastAPI's request
handler with its `Request`, the parsed body and three `AsyncExitStack`s, Starlette's
exception wrappers. For an SSE stream that is held for minutes that is ~12 KB per open
stream (docs/benchmarks.md, "Memory per held stream").

`SendAfterRouting` sits just outside FastAPI's exception middleware and gives the app a
`defer` hook in a copy of the request's scope. A response that supports it
(`TurnEventStream`) hands itself to the hook instead of sending; the route, its
dependencies and FastAPI's handler return as for any response, then the middleware
sends the deferred response on the same task, with the `receive`/`send` every outer
middleware (logs, headers, CORS, body limit) wrapped as before. Validation,
dependencies and error mapping stay FastAPI's; a response nobody deferred is sent where
it always was, and outside this middleware `TurnEventStream` sends in place.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

DEFER = "chatwait.defer"
"""Scope key of the hook: `scope[DEFER](response)` sends `response` once routing returned."""


def deferral(scope: Scope) -> Callable[[ASGIApp], None] | None:
    """The hook a response may hand itself to, if this request has one."""
    hook: Callable[[ASGIApp], None] | None = scope.get(DEFER)
    return hook


class SendAfterRouting:
    """Send a deferred response once the app below has returned (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deferred: list[ASGIApp] = []
        scope.setdefault("state", {})  # shared with the copy: `request.state` stays one
        # Routing writes the route, its endpoint and FastAPI's exit stacks into the scope
        # it gets: a copy, dropped before the deferred response sends.
        await self.app({**scope, DEFER: deferred.append}, receive, send)
        if deferred:
            response = deferred.pop()
            await response(scope, receive, send)

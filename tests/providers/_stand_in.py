"""The offline provider standing in for each preset's endpoint, recording what it receives.

One `chatwait.sim` app is mounted once per preset at `/<preset>` (base URL
`<url>/<preset>/v1`), each mount behind a recorder that keeps every request body and a
SHA-256 digest of its bearer key (never the key). A mount can also behave like the real
endpoint where the sim would not: refuse what that endpoint refuses (Mistral's 422 for
`stream_options`) and send usage unasked (Mistral does; the sim only when asked), so a
turn through it answers only if ChatWait respects the quirk.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatwait.sim import SimConfig, create_sim_app
from tests.support.servers import serve_in_thread

FAST = SimConfig(ttft_ms=2, tokens_per_second=2000, answer_tokens=12)

MISTRAL_STREAM_OPTIONS_422: dict[str, Any] = {
    "object": "error",
    "message": {
        "detail": [
            {
                "type": "extra_forbidden",
                "loc": ["body", "stream_options", "include_usage"],
                "msg": "Extra inputs are not permitted",
                "input": True,
            }
        ]
    },
    "type": "invalid_request_error",
    "param": None,
    "code": None,
}
"""Mistral's answer to `stream_options`, as quoted in openai/openai-agents-python#442 and
avante-corp/avante.nvim#2347 (why the mistral preset never sends it)."""

Refusal = Callable[[dict[str, Any]], tuple[int, dict[str, Any]] | None]
"""What the real endpoint answers instead of a completion for this body, if it refuses it."""


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How one mount differs from the plain offline provider."""

    refuse: Refusal | None = None
    usage_unasked: bool = False


@dataclass(frozen=True, slots=True)
class Received:
    """One request a preset's stand-in got."""

    path: str
    body: dict[str, Any]
    key_digest: str | None


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class StandIns:
    """The running stand-ins: their URL and what each preset's endpoint was sent."""

    url: str = ""
    _received: dict[str, list[Received]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def base_url(self, preset: str) -> str:
        return f"{self.url}/{preset}/v1"

    def add(self, preset: str, request: Received) -> None:
        with self._lock:
            self._received.setdefault(preset, []).append(request)

    def received(self, preset: str) -> list[Received]:
        """Chat requests `preset`'s endpoint was sent, in arrival order."""
        with self._lock:
            return list(self._received.get(preset, []))


async def _whole_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body"):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` for the sim: the (possibly rewritten) body once, then the real channel
    (the sim watches it for disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _bearer_digest(scope: Scope) -> str | None:
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    auth = headers.get("authorization", "")
    return key_digest(auth[7:]) if auth.lower().startswith("bearer ") else None


class _Recorder:
    """ASGI wrapper of one preset's mount."""

    def __init__(self, app: ASGIApp, preset: str, log: StandIns, behaviour: Behaviour) -> None:
        self.app, self.preset, self.log, self.behaviour = app, preset, log, behaviour

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = json.loads(await _whole_body(receive))
        self.log.add(self.preset, Received(scope["path"], body, _bearer_digest(scope)))
        refused = self.behaviour.refuse(body) if self.behaviour.refuse else None
        if refused is not None:
            status, payload = refused
            await JSONResponse(payload, status_code=status)(scope, receive, send)
            return
        if self.behaviour.usage_unasked and body.get("stream"):
            body = {**body, "stream_options": {"include_usage": True}}
        await self.app(scope, _replaying(json.dumps(body).encode(), receive), send)


@contextmanager
def stand_ins(behaviours: dict[str, Behaviour]) -> Iterator[StandIns]:
    """Serve one recording stand-in per preset named in `behaviours` until the block exits."""
    sim = create_sim_app(FAST)
    served = StandIns()
    routes = [
        Mount(f"/{preset}", app=_Recorder(sim, preset, served, behaviour))
        for preset, behaviour in behaviours.items()
    ]
    with serve_in_thread(Starlette(routes=routes)) as url:
        served.url = url
        yield served

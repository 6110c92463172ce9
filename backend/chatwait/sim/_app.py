"""The offline provider as an ASGI app: OpenAI's chat completions API, answered locally.

Routes are relative (`/v1/...`) so the same app works standalone (base URL
`http://host:port/v1`) and mounted by the backend at `/sim` (`.../sim/v1`). The model
name picks the behaviour: `offline-1`/`offline-2` answer, `offline-tools` calls tools,
`offline-reasoner` reasons first (`offline-reasoner-tools` before its tool calls),
`fault-*` models fail the way real providers do (see `_models.py` and `_reply.py`).
`/v1/debug/*` show tests what arrived, as digests only.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections import OrderedDict, deque
from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatwait.sim._config import SimConfig
from chatwait.sim._models import OFFLINE_MODELS, ModelSpec, parse_model
from chatwait.sim._reply import Reply, compose
from chatwait.sim._request import BadRequest, ChatRequest, read_chat_request
from chatwait.sim._shutdown import shutdown_probe
from chatwait.sim._stream import Ending, Gauge, StreamPlan, TokenStream, TruncatedBody, hang
from chatwait.sim._text import fingerprint, prompt_tokens
from chatwait.sim._wire import (
    MALFORMED_BODY,
    ChunkEncoder,
    completion_body,
    error_body,
    models_body,
    new_completion_id,
    tool_call_json,
)

_FLAKY_MAX_ENTRIES = 10_000
_SEEN_AUTHORIZATIONS = 1000
_SEEN_REQUESTS = 1000
REFUSED_KEY_PREFIX = "sk-sim-refused"
"""A key starting with this gets a 401 from `GET /v1/models`, as a revoked key would."""


def authorization_digest(header: str) -> str:
    """SHA-256 (hex) of an `Authorization` header value: what the sim keeps of it."""
    return hashlib.sha256(header.encode()).hexdigest()


def request_digest(chat: ChatRequest) -> dict[str, Any]:
    """What the sim keeps of a chat request: its shape, no text (the sim may be mounted
    in a real server, so nothing a user wrote is kept)."""

    def message(m: dict[str, Any]) -> dict[str, Any]:
        reasoning, content = m.get("reasoning_content"), m.get("content")
        calls = m.get("tool_calls")
        return {
            "role": m.get("role"),
            "content_sha256": hashlib.sha256(content.encode()).hexdigest()
            if isinstance(content, str)
            else None,
            "tool_calls": len(calls) if isinstance(calls, list) else 0,
            "reasoning_content_sha256": hashlib.sha256(reasoning.encode()).hexdigest()
            if isinstance(reasoning, str)
            else None,
        }

    return {"model": chat.model, "messages": [message(m) for m in chat.messages]}


_ENDINGS: dict[str, Ending] = {"malformed": "malformed", "drop": "drop"}


class FlakyCounter:
    """How often each (model, messages) fingerprint has failed; LRU-bounded in size."""

    def __init__(self, max_entries: int = _FLAKY_MAX_ENTRIES) -> None:
        self._failed: OrderedDict[bytes, int] = OrderedDict()
        self._max_entries = max_entries

    def __len__(self) -> int:
        return len(self._failed)

    def should_fail(self, key: bytes, failures: int) -> bool:
        """True for the first `failures` calls with `key`, False from then on."""
        failed = self._failed.pop(key, 0)
        self._failed[key] = min(failed + 1, failures)
        while len(self._failed) > self._max_entries:
            self._failed.popitem(last=False)
        return failed < failures


class SimHandlers:
    """Endpoints of one app instance, with its state (flaky counters, held requests)."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.flaky = FlakyCounter()
        self.hanging = Gauge()
        """Requests `fault-hang` currently holds."""
        self.streaming = Gauge()
        """Streamed responses currently open (a client disconnect closes its stream)."""
        self._models = models_body(OFFLINE_MODELS)
        self.authorizations: deque[str] = deque(maxlen=_SEEN_AUTHORIZATIONS)
        """Digests of the `Authorization` headers received, oldest first (never the value),
        so a test can tell which key a request carried."""
        self.requests: deque[dict[str, Any]] = deque(maxlen=_SEEN_REQUESTS)
        """The shape of each chat request received, oldest first (`request_digest`)."""

    def _saw(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        self.authorizations.append(authorization_digest(header))
        return header

    async def models(self, request: Request) -> Response:
        """`GET /v1/models`; a key starting with `REFUSED_KEY_PREFIX` gets a 401."""
        if self._saw(request).removeprefix("Bearer ").startswith(REFUSED_KEY_PREFIX):
            message = "Incorrect API key provided. You can find your API key in your account."
            return _json(
                401, error_body(message, error_type="invalid_request_error", code="invalid_api_key")
            )
        return Response(self._models, media_type="application/json")

    async def seen_authorizations(self, request: Request) -> Response:
        """`GET /v1/debug/authorizations`: SHA-256 digests of the `Authorization` headers
        received (chat and models requests), oldest first."""
        return JSONResponse({"sha256": list(self.authorizations)})

    async def seen_requests(self, request: Request) -> Response:
        """`GET /v1/debug/requests`: each chat request's model and, per message, its role,
        its tool call count and SHA-256 digests of its text `content` and its
        `reasoning_content` (never any text)."""
        return JSONResponse({"requests": list(self.requests)})

    async def chat_completions(self, request: Request) -> Response:
        """`POST /v1/chat/completions`."""
        arrived = asyncio.get_running_loop().time()
        self._saw(request)
        try:
            chat = await read_chat_request(request)
        except BadRequest as exc:
            body = error_body(
                exc.message, error_type="invalid_request_error", code=None, param=exc.param
            )
            return _json(400, body)
        self.requests.append(request_digest(chat))
        spec = parse_model(chat.model)
        if spec.behaviour == "hang":
            return await self._hang(request)
        if spec.behaviour == "flaky" and self.flaky.should_fail(
            fingerprint(chat.model, chat.messages), spec.count
        ):
            return _json(503, _OVERLOADED)
        failure = self._failure(spec, chat)
        if failure is not None:
            return failure
        return await self._answer(spec, chat, arrived)

    def _failure(self, spec: ModelSpec, chat: ChatRequest) -> Response | None:
        """The immediate error a fault model answers with, if it is one of those."""
        if spec.behaviour == "unknown":
            message = f"The model `{chat.model}` does not exist or you do not have access to it."
            return _json(
                404, error_body(message, error_type="invalid_request_error", code="model_not_found")
            )
        if spec.behaviour == "429":
            return _rate_limited(chat.model, self.config.retry_after_seconds)
        if spec.behaviour == "500":
            return _json(500, _SERVER_ERROR)
        if spec.behaviour == "401":
            message = (
                f"Incorrect API key provided: {chat.api_key}. You can find your API key at "
                "https://platform.openai.com/account/api-keys."
            )
            return _json(
                401, error_body(message, error_type="invalid_request_error", code="invalid_api_key")
            )
        return None

    async def _hang(self, request: Request) -> Response:
        """Hold the request; if the client is still there when that ends, answer 503."""
        with self.hanging.held():
            await hang(request.receive, self.config.hang_seconds, shutdown_probe())
        return _json(503, _HANG_ENDED)

    async def _answer(self, spec: ModelSpec, chat: ChatRequest, arrived: float) -> Response:
        """A normal answer, or one that breaks (`malformed`, `drop`) on its way out."""
        config = self.config
        reply = compose(spec, chat, config)
        start = arrived + config.ttft_ms / 1000
        if not chat.stream:
            await asyncio.sleep(max(0.0, start - asyncio.get_running_loop().time()))
            return self._whole(spec, chat, reply)
        encoder = ChunkEncoder(new_completion_id(), chat.model)
        streamed: Iterable[str] = reply.tokens
        if spec.behaviour == "drop":
            # Lazy, so `fault-drop-after-<huge N>` costs no memory.
            streamed = itertools.islice(itertools.cycle(reply.tokens), spec.count)
        usage = (prompt_tokens(chat.messages), reply.completion_tokens, len(reply.reasoning))
        plan = StreamPlan(
            tokens=streamed,
            start=start,
            interval=1 / config.tokens_per_second,
            ending=_ENDINGS.get(spec.behaviour, "finish"),
            finish_reason=reply.finish_reason,
            stamp=config.stamp_tokens,
            usage=usage if chat.include_usage else None,
            prelude=_prelude(encoder, reply),
        )
        return TokenStream(encoder, plan, self.streaming)

    def _whole(self, spec: ModelSpec, chat: ChatRequest, reply: Reply) -> Response:
        """The non-streamed body for `reply` (TTFT applied once, no pacing)."""
        if spec.behaviour == "malformed":
            return Response(MALFORMED_BODY, media_type="application/json")
        tokens = reply.tokens
        if self.config.stamp_tokens:
            stamp = ChunkEncoder.stamp_text()
            tokens = [stamp] * len(tokens)
        calls = [tool_call_json(c.id, c.name, c.arguments) for c in reply.tool_calls]
        body = completion_body(
            model=chat.model,
            text=None if calls else "".join(tokens),
            finish_reason=reply.finish_reason,
            prompt_tokens=prompt_tokens(chat.messages),
            completion_tokens=reply.completion_tokens,
            reasoning="".join(reply.reasoning) if reply.reasoning else None,
            tool_calls=calls,
            reasoning_tokens=len(reply.reasoning),
        )
        if spec.behaviour == "drop":
            return TruncatedBody(body)
        return _json(200, body)


def _prelude(encoder: ChunkEncoder, reply: Reply) -> list[bytes]:
    """The frames before the answer's tokens: reasoning, then tool calls in pieces."""
    frames = [encoder.reasoning(text, first=i == 0) for i, text in enumerate(reply.reasoning)]
    for index, call in enumerate(reply.tool_calls):
        first = not frames
        frames.append(encoder.tool_call_start(index, call.id, call.name, first=first))
        frames += [encoder.tool_call_arguments(index, piece) for piece in call.pieces()]
    return frames


def create_sim_app(config: SimConfig | None = None) -> Starlette:
    """The offline provider; `app.state.sim` is its `SimHandlers` (state tests observe)."""
    handlers = SimHandlers(config or SimConfig())
    app = Starlette(
        routes=[
            Route("/v1/chat/completions", handlers.chat_completions, methods=["POST"]),
            Route("/v1/models", handlers.models, methods=["GET"]),
            Route("/v1/debug/authorizations", handlers.seen_authorizations, methods=["GET"]),
            Route("/v1/debug/requests", handlers.seen_requests, methods=["GET"]),
        ]
    )
    app.state.sim = handlers
    return app


def _json(status: int, body: bytes, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def _rate_limited(model: str, retry_after: float) -> Response:
    seconds = f"{retry_after:.3f}".rstrip("0").rstrip(".") or "0"
    message = (
        f"Rate limit reached for requests per min (RPM) on model {model} in the offline "
        f"simulator. Please try again in {seconds}s."
    )
    headers = {"retry-after": seconds, "retry-after-ms": str(round(retry_after * 1000))}
    return _json(
        429, error_body(message, error_type="requests", code="rate_limit_exceeded"), headers
    )


_SERVER_ERROR = error_body(
    "The server had an error while processing your request. Sorry about that!",
    error_type="server_error",
    code=None,
)
_OVERLOADED = error_body(
    "The engine is currently overloaded, please try again later.",
    error_type="server_error",
    code="service_unavailable",
)
_HANG_ENDED = error_body(
    "The simulated hang ended (time limit reached or the server is shutting down).",
    error_type="server_error",
    code="service_unavailable",
)

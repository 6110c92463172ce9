"""Replay recorded OpenAI and Gemini responses over real HTTP, as a stand-in provider.

The files in `tests/fixtures/provider-recordings/` are real provider bodies recorded by
public projects' test suites (byte-for-byte; statuses and headers in its `manifest.json`,
provenance in its `README.md`). `recording_server()` serves
them on loopback at the two Chat Completions paths the product calls:

- `POST /v1/chat/completions` (OpenAI: set `OPENAI_BASE_URL=<url>/v1`)
- `POST /v1beta/openai/chat/completions` (Gemini: `GEMINI_BASE_URL=<url>/v1beta/openai/`)

The request's `model` picks the recording: `rec-<file name without extension>`, e.g.
`rec-openai-chat-stream-usage-01`. SSE bodies go out in small, odd-sized chunks so the
client parses a real stream whose events straddle reads. Every request is kept (minus
its key: only a SHA-256 digest of it) for tests to assert what the product sent.

Constructed streams (`tests/fixtures/synthetic/syn-*.sse`, see its README) are served
the same way but kept out of `recordings()`: `synthetic_recordings()`.

`expected_from_sse` reads a recording independently of the product (choice 0's content,
the last usage, the finish reason), so tests never hard-code an expected answer.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support.servers import serve_in_thread

RECORDINGS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "provider-recordings"
"""Inside the repository, so a fresh clone replays them with nothing beside it."""
SYNTHETIC_DIR = RECORDINGS_DIR.with_name("synthetic")
"""Hand-constructed streams (`syn-*.sse`) for shapes no recording has."""
OPENAI_PATH = "/v1/chat/completions"
RESPONSES_PATH = "/v1/responses"
GEMINI_PATH = "/v1beta/openai/chat/completions"
MODEL_PREFIX = "rec-"
CHUNK_BYTES = 61
"""Odd-sized so SSE events (and multi-byte characters) are split across network reads."""

_NOT_REPLAYED = {"content-encoding", "content-length", "transfer-encoding", "date", "server"}
"""Bodies are stored decoded, and uvicorn frames and dates its own responses."""
_AUTH_HEADERS = {"authorization", "api-key", "x-goog-api-key"}


@dataclass(frozen=True, slots=True)
class Recording:
    """One recorded response: what to send back and where it came from."""

    file: str
    """Path relative to `RECORDINGS_DIR`, e.g. `secondary/openai-429-...json`."""
    status: int
    headers: dict[str, str]
    verbatim: bool
    root: Path = RECORDINGS_DIR

    @property
    def name(self) -> str:
        """File name without its extension: `openai-chat-stream-usage-01`."""
        return Path(self.file).name.rsplit(".", 1)[0]

    @property
    def model(self) -> str:
        """The model name that makes the stand-in replay this recording."""
        return MODEL_PREFIX + self.name

    @property
    def body(self) -> bytes:
        return (self.root / self.file).read_bytes()

    @property
    def is_sse(self) -> bool:
        return self.file.endswith(".sse")


def _status(raw: object) -> int:
    """Verbatim entries hold an int; secondary ones a sentence that starts with it."""
    if isinstance(raw, int):
        return raw
    match = re.match(r"\s*(\d{3})", str(raw))
    if match is None:
        raise ValueError(f"no HTTP status in manifest entry {raw!r}")
    return int(match.group(1))


def _headers(entry: dict[str, Any]) -> dict[str, str]:
    kept = {k.lower(): v for k, v in entry.get("headers", {}).items()}
    kept = {k: v for k, v in kept.items() if k not in _NOT_REPLAYED}
    if "content-type" not in kept:
        sse = entry["file"].endswith(".sse")
        kept["content-type"] = "text/event-stream" if sse else "application/json"
    return kept


@cache
def recordings() -> dict[str, Recording]:
    """Every recording in the manifest, by model name."""
    manifest = json.loads((RECORDINGS_DIR / "manifest.json").read_text(encoding="utf-8"))
    found: dict[str, Recording] = {}
    for section in ("verbatim", "secondary"):
        for entry in manifest[section]:
            rec = Recording(
                file=entry["file"],
                status=_status(entry["status"]),
                headers=_headers(entry),
                verbatim=section == "verbatim",
            )
            found[rec.model] = rec
    return found


@cache
def synthetic_recordings() -> dict[str, Recording]:
    """Every constructed stream (`syn-*.sse`), by model name: served, never iterated."""
    found = (
        Recording(path.name, 200, {"content-type": "text/event-stream"}, False, SYNTHETIC_DIR)
        for path in sorted(SYNTHETIC_DIR.glob("syn-*.sse"))
    )
    return {rec.model: rec for rec in found}


def recording(name: str) -> Recording:
    """The recording (or constructed stream) named `name` (file name without extension)."""
    model = MODEL_PREFIX + name
    return recordings().get(model) or synthetic_recordings()[model]


@dataclass(frozen=True, slots=True)
class Expected:
    """What a streamed recording says, read straight from its bytes."""

    pieces: tuple[str, ...]
    """Non-empty `choices[0].delta.content` values of choice index 0, in order."""
    usage: tuple[int, int] | None
    """(prompt_tokens, completion_tokens) of the last chunk that has usage."""
    finish_reason: str | None
    tool_names: tuple[str, ...]
    """Functions choice 0 asks to call, in order."""
    refusal: str
    reasoning: str = ""
    """Gemini's thought parts (content flagged `extra_content.google.thought`), joined."""

    @property
    def text(self) -> str:
        return "".join(self.pieces)


def _sse_chunks(body: str) -> Iterator[dict[str, Any]]:
    for line in body.splitlines():
        if line.startswith("data:") and line[5:].strip() != "[DONE]":
            yield json.loads(line[5:])


def expected_from_sse(rec: Recording) -> Expected:
    """Parse a `.sse` recording the way the Chat Completions wire format defines it."""
    pieces: list[str] = []
    refusal: list[str] = []
    usage: tuple[int, int] | None = None
    finish: str | None = None
    tools: list[str] = []
    thoughts: list[str] = []
    for chunk in _sse_chunks(rec.body.decode("utf-8")):
        if chunk.get("usage"):
            usage = (chunk["usage"]["prompt_tokens"], chunk["usage"]["completion_tokens"])
        for choice in chunk.get("choices", []):
            if choice.get("index") != 0:
                continue
            delta = choice.get("delta") or {}
            if (delta.get("extra_content") or {}).get("google", {}).get("thought"):
                thoughts.append(delta["content"].removeprefix("<thought>"))
            elif delta.get("content"):
                content = delta["content"]
                pieces.append(content.removeprefix("</thought>") if thoughts else content)
            refusal.append(delta.get("refusal") or "")
            tools += [
                c["function"]["name"]
                for c in delta.get("tool_calls") or []
                if c.get("function", {}).get("name")
            ]
            finish = choice.get("finish_reason") or finish
    pieces = [piece for piece in pieces if piece]
    return Expected(tuple(pieces), usage, finish, tuple(tools), "".join(refusal), "".join(thoughts))


def expected_from_responses(rec: Recording) -> Expected:
    """Parse a Responses API `.sse` recording the way that wire format defines it."""
    pieces: list[str] = []
    reasoning: list[str] = []
    refusal: list[str] = []
    tools: list[str] = []
    usage: tuple[int, int] | None = None
    status: str | None = None
    for event in _sse_chunks(rec.body.decode("utf-8")):
        kind = event.get("type")
        if kind == "response.output_text.delta" and event.get("delta"):
            pieces.append(event["delta"])
        elif kind == "response.refusal.delta":
            refusal.append(event.get("delta") or "")
        elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            reasoning.append(event.get("delta") or "")
        elif kind == "response.output_item.added" and event["item"]["type"] == "function_call":
            tools.append(event["item"]["name"])
        elif kind == "response.completed":
            found = event["response"].get("usage")
            usage = (found["input_tokens"], found["output_tokens"]) if found else None
            status = event["response"].get("status")
    return Expected(
        tuple(pieces), usage, status, tuple(tools), "".join(refusal), "".join(reasoning)
    )


def error_message(rec: Recording) -> str:
    """The `error.message` of a JSON error body (OpenAI's dict or Gemini's list)."""
    body = json.loads(rec.body)
    if isinstance(body, list):
        body = body[0]
    return str(body["error"]["message"])


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request the stand-in answered; the key itself is never kept."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    key_digest: str | None
    """SHA-256 of the bearer token, to check which key was sent without storing it."""


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class RecordingServer:
    """The running stand-in: its URL and what it was asked."""

    url: str
    received: list[ReceivedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def gemini_base_url(self) -> str:
        return f"{self.url}/v1beta/openai/"

    def add(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.received.append(request)

    def requests_for(self, model: str) -> list[ReceivedRequest]:
        """Requests that asked for `model`, in arrival order."""
        with self._lock:
            return [r for r in self.received if r.body.get("model") == model]


def _bearer_digest(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return key_digest(auth[7:]) if auth.lower().startswith("bearer ") else None


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), CHUNK_BYTES):
        yield body[start : start + CHUNK_BYTES]


def _reply(rec: Recording) -> Response:
    headers = {k: v for k, v in rec.headers.items() if k != "content-type"}
    media_type = rec.headers["content-type"]
    if rec.is_sse and rec.status == 200:
        return StreamingResponse(
            _chunks(rec.body), status_code=rec.status, headers=headers, media_type=media_type
        )
    return Response(rec.body, status_code=rec.status, headers=headers, media_type=media_type)


def _unknown(model: object) -> Response:
    message = f"the stand-in has no recording for model {model!r}"
    return JSONResponse({"error": {"message": message, "code": "no_recording"}}, 404)


def build_app(server: RecordingServer) -> Starlette:
    """The stand-in ASGI app, writing what it receives into `server`."""

    async def chat_completions(request: Request) -> Response:
        body = await request.json()
        headers = {k: v for k, v in request.headers.items() if k not in _AUTH_HEADERS}
        server.add(ReceivedRequest(request.url.path, headers, body, _bearer_digest(request)))
        model = str(body.get("model"))
        rec = recordings().get(model) or synthetic_recordings().get(model)
        return _reply(rec) if rec is not None else _unknown(body.get("model"))

    routes = [
        Route(path, chat_completions, methods=["POST"])
        for path in (OPENAI_PATH, GEMINI_PATH, RESPONSES_PATH)
    ]
    return Starlette(routes=routes)


@contextmanager
def recording_server() -> Iterator[RecordingServer]:
    """Serve the recordings on a free loopback port until the block exits."""
    server = RecordingServer(url="")
    with serve_in_thread(build_app(server)) as url:
        server.url = url
        yield server

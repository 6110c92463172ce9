"""Hand-made Chat Completions streams for shapes no recording has, and a server for them.

The recordings (`tests/fixtures/provider-recordings/`) hold what OpenAI and Gemini sent; the
shapes here come from other providers' documented wire formats (DeepSeek's
`delta.reasoning_content`, OpenRouter's and Ollama's `delta.reasoning`, Anthropic thinking
blocks through LiteLLM-style relays, Gemini's index-less parallel calls) and from the SSE
and JSON corners the `openai` client's decoder defines (CRLF and CR line ends, comments,
`id:`/`event:`/`retry:` fields, multi-line data, no `[DONE]`, an error object mid-stream).
They are inputs only: every test compares the fast model with the stock model on them, so
no expected output is written here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support.servers import serve_in_thread

PREFIX = "syn-"
CHUNK_BYTES = 7
"""Small and odd, so lines and multi-byte characters straddle reads."""
_ID = "chatcmpl-synthetic0001"


def _chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> Any:
    choice: dict[str, Any] = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    head = {"id": _ID, "object": "chat.completion.chunk", "model": "m"}
    return {**head, "choices": [choice], **extra}


def _usage(prompt: int, completion: int, **details: Any) -> dict[str, Any]:
    return {
        "id": _ID,
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            **details,
        },
    }


def _text(*pieces: str) -> list[Any]:
    return [_chunk({"role": "assistant", "content": ""})] + [
        _chunk({"content": piece}) for piece in pieces
    ]


def _frame(chunks: list[Any], *, end: str = "\n", done: bool = True) -> bytes:
    lines = [f"data: {json.dumps(c, ensure_ascii=False)}{end}{end}" for c in chunks]
    if done:
        lines.append(f"data: [DONE]{end}{end}")
    return "".join(lines).encode()


def _tool(index: Any, call_id: str, name: str, arguments: str, **extra: Any) -> dict[str, Any]:
    call = {"index": index, "id": call_id, "type": "function", **extra}
    call["function"] = {"name": name, "arguments": arguments}
    return call


def _streams() -> dict[str, bytes]:
    reasoning_content = [
        _chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
        *(_chunk({"content": None, "reasoning_content": t}) for t in ("Let me ", "think. ")),
        *(_chunk({"content": t, "reasoning_content": None}) for t in ("The answer", " is 4.")),
        _chunk(finish="stop"),
        _usage(9, 12, completion_tokens_details={"reasoning_tokens": 5}),
    ]
    reasoning = [
        _chunk({"role": "assistant", "content": "", "reasoning": "Counting"}),
        _chunk({"content": "", "reasoning": " sheep..."}),
        _chunk({"content": "Done", "reasoning": None}),
        _chunk({"content": "."}, finish="stop"),
        _usage(4, 6, prompt_tokens_details={"cached_tokens": 2}),
    ]
    thinking = [
        _chunk({"role": "assistant", "thinking_blocks": [{"type": "thinking", "thinking": "Hm"}]}),
        _chunk({"thinking_blocks": [{"type": "thinking", "signature": "sig-1"}]}),
        _chunk({"content": "Yes."}, finish="stop"),
    ]
    lp = {"token": "Hi", "logprob": -0.25, "bytes": [72, 105]}
    logprobs = [
        _chunk({"role": "assistant", "content": ""}),
        {**_chunk({"content": "Hi"}), "choices": [
            {"index": 0, "delta": {"content": "Hi"}, "finish_reason": None,
             "logprobs": {"content": [{**lp, "top_logprobs": [lp]}]}},
        ]},
        _chunk(finish="stop"),
    ]  # fmt: skip
    citation = {
        "type": "url_citation",
        "url_citation": {"start_index": 0, "end_index": 5, "url": "https://e.org", "title": "E"},
    }
    return {
        "reasoning-content": _frame(reasoning_content),
        "reasoning": _frame(reasoning),
        "reasoning-then-tool": _frame(
            [
                _chunk({"role": "assistant", "reasoning_content": "Need a tool."}),
                _chunk({"tool_calls": [_tool(0, "call_r1", "lookup", '{"q":')]}),
                _chunk({"tool_calls": [{"index": 0, "function": {"arguments": ' "x"}'}}]}),
                _chunk(finish="tool_calls"),
            ]
        ),  # fmt: skip
        "thinking-blocks": _frame(thinking),
        "content-filter-empty": _frame(
            [_chunk({"role": "assistant", "content": ""}), _chunk(finish="content_filter")]
        ),
        "length-no-output": _frame([_chunk({"role": "assistant"}), _chunk(finish="length")]),
        "logprobs": _frame(logprobs),
        "annotations": _frame(
            [*_text("Example"), _chunk({"annotations": [citation]}), _chunk(finish="stop")]
        ),
        "custom-and-function-tools": _frame(
            [
                _chunk(
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "c0",
                                "type": "custom",
                                "custom": {"name": "x", "input": "y"},
                            },
                            _tool(1, "c1", "f", "{}"),
                        ],
                    }
                ),
                _chunk(finish="tool_calls"),
            ]
        ),  # fmt: skip
        "index-less-parallel-calls": _frame(
            [
                _chunk({"role": "assistant", "tool_calls": [_tool(None, "", "a", "{}")]}),
                _chunk(
                    {
                        "tool_calls": [
                            _tool(
                                None,
                                "",
                                "b",
                                "{}",
                                extra_content={"google": {"thought_signature": "ts"}},
                            )
                        ]
                    }
                ),
                _chunk(finish="tool_calls"),
            ]
        ),  # fmt: skip
        "refusal-then-text": _frame(
            [
                _chunk({"role": "assistant", "refusal": "I can't"}),
                *_text(" but here."),
                _chunk(finish="stop"),
            ]
        ),  # fmt: skip
        "multi-choice-nonzero-only": _frame(
            [
                {"id": _ID, "choices": [{"index": 1, "delta": {"content": "x"}}]},
                _chunk({"content": "ok"}, finish="stop"),
            ]
        ),  # fmt: skip
        "crlf": _frame([*_text("Line", " ends"), _chunk(finish="stop")], end="\r\n"),
        "cr": _frame([*_text("Bare", " CR"), _chunk(finish="stop")], end="\r"),
        "comments-ids-events": (
            b": keep-alive\n\nid: 7\nevent: message\nretry: 1500\n"
            + _frame([*_text("Fields"), _chunk(finish="stop")])
        ),
        "multiline-data": (
            b'data: {"id": "c", "choices": [{"index": 0,\ndata: "delta": {"content": "Two'
            b' lines"}, "finish_reason": "stop"}]}\n\ndata: [DONE]\n\n'
        ),
        "no-done": _frame([*_text("No", " DONE"), _chunk(finish="stop")], done=False),
        "last-event-unterminated": _frame([*_text("Cut")], done=False) + b'data: {"choices": []}',
        "error-mid-stream": _frame(
            [*_text("Partial"), {"error": {"message": "Upstream overloaded", "code": 529}}]
        ),
        "not-an-object": _frame([*_text("A"), [1, 2]]),
        "non-string-content": _frame([_chunk({"role": "assistant", "content": 7})]),
        "audio": _frame([_chunk({"role": "assistant", "audio": {"id": "a", "data": "AA=="}})]),
        "nan-and-huge-int": (
            b'data: {"id": "c", "choices": [{"index": 0, "delta": {"content": "n"}, '
            b'"finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 1, '
            b'"total_tokens": 4, "score": NaN, "n": 123456789012345678901234567890}}\n\n'
        ),
        "empty-body": b"",
    }


STREAMS = _streams()
"""Name -> the exact bytes of the response body."""
UNIT_ONLY = {
    "lone-surrogate": b'data: {"choices": [{"index": 0, "delta": {"content": "\\ud83d"}}]}\n\n',
}
"""Valid for `json`, refused by orjson; the unit test's business (no store round trip)."""


def model_name(stream: str) -> str:
    return PREFIX + stream


@dataclass
class StreamServer:
    """The running server: its URL and the bodies and headers it was sent."""

    url: str = ""
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def requests_for(self, model: str) -> list[tuple[dict[str, str], dict[str, Any]]]:
        with self._lock:
            return [r for r in self.received if r[1].get("model") == model]


async def _pieces(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), CHUNK_BYTES):
        yield body[start : start + CHUNK_BYTES]


def _app(server: StreamServer) -> Starlette:
    async def completions(request: Request) -> Response:
        body = await request.json()
        with server._lock:
            server.received.append((dict(request.headers), body))
        stream = STREAMS.get(str(body.get("model", "")).removeprefix(PREFIX))
        if stream is None:
            return JSONResponse({"error": {"message": "no such stream"}}, status_code=404)
        return StreamingResponse(_pieces(stream), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


@contextmanager
def stream_server() -> Iterator[StreamServer]:
    """Serve `STREAMS` on a free loopback port (`<url>/v1`, model `syn-<name>`)."""
    server = StreamServer()
    with serve_in_thread(_app(server)) as url:
        server.url = url
        yield server

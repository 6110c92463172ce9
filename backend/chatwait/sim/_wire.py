"""OpenAI wire shapes as bytes, built once per request so a chunk costs one small dumps.

Benchmarks hold 1,000+ concurrent streams on cores shared with the server under test,
so chunks are byte templates (no pydantic, no dict per chunk): a token chunk is the
pre-encoded head, the JSON-escaped token and a constant tail.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

DONE = b"data: [DONE]\n\n"
MALFORMED_CHUNK = b'data: {"id": "chatcmpl-broken", "choices": [\n\n'
MALFORMED_BODY = b'{"id": "chatcmpl-broken", "choices": ['
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
_FINGERPRINT = "fp_chatwait_sim"
_OPEN_TAIL = b'},"logprobs":null,"finish_reason":null}]}\n\n'


def new_completion_id() -> str:
    """An id shaped like OpenAI's (`chatcmpl-` and 24 random characters)."""
    return "chatcmpl-" + secrets.token_hex(12)


def usage(prompt_tokens: int, completion_tokens: int, reasoning_tokens: int = 0) -> dict[str, Any]:
    """OpenAI's usage object, with the detail fields some clients read unguarded.

    `completion_tokens` includes the reasoning tokens, as OpenAI and DeepSeek count them.
    """
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": reasoning_tokens, "audio_tokens": 0},
    }


def tool_call_json(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """One entry of a message's `tool_calls` (whole; streams send it in pieces)."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


class ChunkEncoder:
    """Frames (`data: ...\\n\\n`) of one streamed `chat.completion.chunk` sequence."""

    __slots__ = ("_content", "_head", "_reasoning", "_role", "_role_reasoning")

    def __init__(self, completion_id: str, model: str, created: int | None = None) -> None:
        created = int(time.time()) if created is None else created
        self._head = (
            f'data: {{"id":{json.dumps(completion_id)},"object":"chat.completion.chunk",'
            f'"created":{created},"model":{json.dumps(model)},'
            f'"system_fingerprint":"{_FINGERPRINT}","choices":['
        ).encode()
        self._role = self._head + b'{"index":0,"delta":{"role":"assistant","content":'
        self._content = self._head + b'{"index":0,"delta":{"content":'
        # DeepSeek's shape: reasoning chunks carry `content: null` beside the text.
        self._role_reasoning = (
            self._head + b'{"index":0,"delta":{"role":"assistant","content":null,'
            b'"reasoning_content":'
        )
        self._reasoning = self._head + b'{"index":0,"delta":{"content":null,"reasoning_content":'

    def token(self, text: str, *, first: bool) -> bytes:
        """A content chunk; the first one also carries `role: assistant`."""
        return b"".join(
            (self._role if first else self._content, json.dumps(text).encode(), _OPEN_TAIL)
        )

    def reasoning(self, text: str, *, first: bool) -> bytes:
        """A `reasoning_content` chunk; the first one also carries `role: assistant`."""
        head = self._role_reasoning if first else self._reasoning
        return b"".join((head, json.dumps(text).encode(), _OPEN_TAIL))

    def tool_call_start(self, index: int, call_id: str, name: str, *, first: bool) -> bytes:
        """The chunk opening tool call `index`: id, type, name and empty arguments."""
        call = {"index": index, **tool_call_json(call_id, name, "")}
        delta: dict[str, Any] = {"tool_calls": [call]}
        if first:
            delta = {"role": "assistant", "content": None, **delta, "refusal": None}
        return self._delta(delta)

    def tool_call_arguments(self, index: int, piece: str) -> bytes:
        """One fragment of tool call `index`'s arguments."""
        return self._delta({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})

    def _delta(self, delta: dict[str, Any]) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}
        return self._head + json.dumps(choice, separators=(",", ":")).encode() + b"]}\n\n"

    def stamp(self, *, first: bool) -> bytes:
        """A content chunk whose text is its send time: `@<microseconds since epoch> `."""
        micros = time.time_ns() // 1000
        return b'%s"@%d "%s' % (self._role if first else self._content, micros, _OPEN_TAIL)

    @staticmethod
    def stamp_text() -> str:
        """The text of a stamped token sent now."""
        return f"@{time.time_ns() // 1000} "

    def finish(self, reason: str) -> bytes:
        """The empty-delta chunk that carries `finish_reason`."""
        return self._head + (
            b'{"index":0,"delta":{},"logprobs":null,"finish_reason":"%s"}]}\n\n' % reason.encode()
        )

    def usage(self, prompt_tokens: int, completion_tokens: int, reasoning_tokens: int = 0) -> bytes:
        """The `choices: []` chunk sent when `stream_options.include_usage` is set."""
        counts = usage(prompt_tokens, completion_tokens, reasoning_tokens)
        body = json.dumps(counts, separators=(",", ":"))
        return self._head + b'],"usage":' + body.encode() + b"}\n\n"


def completion_body(
    *,
    model: str,
    text: str | None,
    finish_reason: str,
    prompt_tokens: int,
    completion_tokens: int,
    reasoning: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    reasoning_tokens: int = 0,
) -> bytes:
    """A whole non-streamed `chat.completion` (DeepSeek's `reasoning_content` when given)."""
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    if tool_calls:
        message["tool_calls"] = tool_calls
    body = {
        "id": new_completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": _FINGERPRINT,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage(prompt_tokens, completion_tokens, reasoning_tokens),
    }
    return json.dumps(body, separators=(",", ":")).encode()


def error_body(
    message: str, *, error_type: str, code: str | None, param: str | None = None
) -> bytes:
    """OpenAI's error envelope: `{"error": {"message", "type", "param", "code"}}`."""
    error = {"message": message, "type": error_type, "param": param, "code": code}
    return json.dumps({"error": error}).encode()


def models_body(names: tuple[str, ...]) -> bytes:
    """The `GET /v1/models` list."""
    data = [{"id": n, "object": "model", "created": 0, "owned_by": "chatwait-sim"} for n in names]
    return json.dumps({"object": "list", "data": data}).encode()

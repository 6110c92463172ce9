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


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    """OpenAI's usage object, with the detail fields some clients read unguarded."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


class ChunkEncoder:
    """Frames (`data: ...\\n\\n`) of one streamed `chat.completion.chunk` sequence."""

    __slots__ = ("_content", "_head", "_role")

    def __init__(self, completion_id: str, model: str, created: int | None = None) -> None:
        created = int(time.time()) if created is None else created
        self._head = (
            f'data: {{"id":{json.dumps(completion_id)},"object":"chat.completion.chunk",'
            f'"created":{created},"model":{json.dumps(model)},'
            f'"system_fingerprint":"{_FINGERPRINT}","choices":['
        ).encode()
        self._role = self._head + b'{"index":0,"delta":{"role":"assistant","content":'
        self._content = self._head + b'{"index":0,"delta":{"content":'

    def token(self, text: str, *, first: bool) -> bytes:
        """A content chunk; the first one also carries `role: assistant`."""
        return b"".join(
            (self._role if first else self._content, json.dumps(text).encode(), _OPEN_TAIL)
        )

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

    def usage(self, prompt_tokens: int, completion_tokens: int) -> bytes:
        """The `choices: []` chunk sent when `stream_options.include_usage` is set."""
        body = json.dumps(usage(prompt_tokens, completion_tokens), separators=(",", ":"))
        return self._head + b'],"usage":' + body.encode() + b"}\n\n"


def completion_body(
    *, model: str, text: str, finish_reason: str, prompt_tokens: int, completion_tokens: int
) -> bytes:
    """A whole non-streamed `chat.completion`."""
    body = {
        "id": new_completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": _FINGERPRINT,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage(prompt_tokens, completion_tokens),
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

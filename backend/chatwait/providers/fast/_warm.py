"""A stream's one-time work done at start-up instead of in the first turn.

`openai` builds each of its pydantic models' schemas on the model's first use
(`DEFER_PYDANTIC_BUILD`), so the first turn after start-up built those of the request
template and of every event its stream makes: ~100 ms of CPU before and during its first
tokens, and objects made after the start-up heap was frozen (`api.app.freeze_startup_heap`),
which every full collection then walks. `warm_up` runs a provider's request building and
a canned stream (text, a tool call, usage) through the same code a run uses, sending
nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from agents import ModelSettings
from agents.models.interface import ModelTracing
from agents.tracing import generation_span

from chatwait.providers._chunk_repair import repaired
from chatwait.providers.fast._handler import ChunkHandler, handle
from chatwait.providers.fast._request import RequestFactory

_MODEL = "warm-up"


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
    return {"id": "chatcmpl-warm-up", "created": 0, "model": _MODEL, "choices": [choice]}


_CANNED: list[dict[str, Any]] = [
    _chunk({"role": "assistant", "content": "Hi"}),
    _chunk({"tool_calls": [{"index": 0, "id": "call_0", "function": {"name": "f"}}]}),
    _chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}),
    _chunk({}, "tool_calls"),
    {**_chunk({}), "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2}},
]


async def _canned() -> AsyncIterator[Any]:
    for chunk in _CANNED:
        yield {**chunk, "choices": [dict(c) for c in chunk["choices"]]}


async def warm_up(requests: RequestFactory) -> None:
    """Build one request and handle one canned stream, as a run would; nothing is sent."""
    builder = requests.builder(_MODEL, strict_feature_validation=False)
    with generation_span(model=_MODEL, disabled=True) as span:
        built = await requests.build(
            builder,
            system_instructions="Warm up.",
            input="Warm up.",
            model_settings=ModelSettings(include_usage=True),
            tools=[],
            output_schema=None,
            handoffs=[],
            span=span,
            tracing=ModelTracing.DISABLED,
        )
    handler = ChunkHandler(
        built.response,
        model=_MODEL,
        strict_feature_validation=False,
        require_finish_reason=False,
        preserve_raw_usage=False,
    )
    async for _event in handle(handler, repaired(_canned())):
        pass

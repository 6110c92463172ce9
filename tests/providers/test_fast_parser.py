"""The fast model's SSE reader and chunk handler against the stock path, on every stream.

No sockets: each body is handed over in pieces (1, 5 and 61 bytes, so lines, events and
multi-byte characters straddle reads). The stock side is the real thing: `openai`'s
`AsyncStream` over an httpx2 response (its SSE decoder, `[DONE]` and error handling, its
loosely-built `ChatCompletionChunk`s) into the SDK's `ChatCmplStreamHandler.handle_stream`
as `OpenAIChatCompletionsModel` runs it. The fast side is `_sse.chunks` into
`_handler.handle`. They must produce equal events (full dumps, extras and private usage
markers included) and fail with the same exception, for every recorded Chat Completions
stream and every hand-made one (`_streams.py`). Expected values are never written here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx2
import pydantic
import pytest
from agents.models.chatcmpl_stream_handler import ChatCmplStreamHandler
from agents.models.fake_id import FAKE_RESPONSES_ID
from openai import AsyncOpenAI, AsyncStream
from openai._streaming import SSEDecoder
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import Response

from chatwait.providers.fast import _unvalidated
from chatwait.providers.fast._handler import ChunkHandler, handle
from chatwait.providers.fast._request import BuiltRequest
from chatwait.providers.fast._sse import chunks, event_data
from tests.providers._streams import STREAMS, UNIT_ONLY
from tests.support.recordings import recordings

URL = "http://stand-in.invalid/v1/chat/completions"
PIECES = (5, 61)


def _bodies() -> dict[str, tuple[str, bytes]]:
    """Name -> (model name, body): recorded Chat Completions streams, then hand-made ones."""
    found = {
        rec.name: (rec.model, rec.body)
        for rec in recordings().values()
        if rec.is_sse and rec.status == 200
    }
    found.update({name: (f"syn-{name}", body) for name, body in {**STREAMS, **UNIT_ONLY}.items()})
    parallel = STREAMS["index-less-parallel-calls"]
    found["gemini-named-synthetic-calls"] = ("gemini-2.0-flash", parallel)
    return found


BODIES = _bodies()


class _Pieces:
    """A body arriving `size` bytes per read: aiohttp's `readany` and httpx2's stream."""

    def __init__(self, body: bytes, size: int) -> None:
        self._parts = [body[i : i + size] for i in range(0, len(body), size)]
        self.total_bytes = 0

    async def readany(self) -> bytes:
        part = self._parts.pop(0) if self._parts else b""
        self.total_bytes += len(part)
        return part

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self._parts:
            yield self._parts.pop(0)


def _template(model: str) -> Response:
    return Response(
        id=FAKE_RESPONSES_ID,
        created_at=0,
        model=model,
        object="response",
        output=[],
        tool_choice="auto",
        tools=[],
        parallel_tool_calls=False,
    )


def _dump(obj: Any) -> Any:
    """A model's dump plus what the SDK keeps beside the fields (usage markers)."""
    if isinstance(obj, pydantic.BaseModel):
        fields = type(obj).model_fields
        hidden = {k: _dump(v) for k, v in vars(obj).items() if k not in fields}
        nested = {k: _dump(getattr(obj, k)) for k in fields if k == "response"}
        return {**obj.model_dump(), **nested, "__hidden__": hidden}
    return obj


@dataclass
class Outcome:
    events: list[Any]
    error: tuple[str, str, Any] | None
    template: Any
    """The response template afterwards (the handler keeps usage on it before raising)."""


def _error(exc: BaseException) -> tuple[str, str, Any]:
    return (type(exc).__name__, str(exc), getattr(exc, "body", None))


async def _stock(body: bytes, size: int, model: str, **options: bool) -> Outcome:
    client = AsyncOpenAI(base_url="http://stand-in.invalid/v1", api_key="unused")
    request = httpx2.Request("POST", URL)
    http = httpx2.Response(200, content=_Pieces(body, size), request=request)
    stream = AsyncStream(cast_to=ChatCompletionChunk, response=http, client=client)
    template, events, error = _template(model), [], None
    try:
        async for event in ChatCmplStreamHandler.handle_stream(
            template, stream, model=model, raise_on_length_truncation=True, **options
        ):
            events.append(_dump(event))
    except Exception as exc:  # noqa: BLE001 - the failure is what is compared
        error = _error(exc)
    return Outcome(events, error, _dump(template))


async def _fast(body: bytes, size: int, model: str, **options: bool) -> Outcome:
    template = _template(model)
    built = BuiltRequest(template, URL, {}, b"", {}, retry_count_header=True)
    handler = ChunkHandler(template, model=model, strict_feature_validation=False, **options)
    response = SimpleNamespace(content=_Pieces(body, size))
    events, error = [], None
    try:
        async for event in handle(handler, chunks(response, built)):  # type: ignore[arg-type]
            events.append(_dump(event))
    except Exception as exc:  # noqa: BLE001 - the failure is what is compared
        error = _error(exc)
    return Outcome(events, error, _dump(template))


@pytest.mark.parametrize("size", PIECES)
@pytest.mark.parametrize("name", list(BODIES))
async def test_fast_handler_yields_the_stock_events(name: str, size: int) -> None:
    model, body = BODIES[name]
    for options in (
        {"require_finish_reason": False, "preserve_raw_usage": False},
        {"require_finish_reason": True, "preserve_raw_usage": True},
    ):
        stock = await _stock(body, size, model, **options)
        fast = await _fast(body, size, model, **options)
        assert fast.error == stock.error, options
        assert fast.events == stock.events, options
        assert fast.template == stock.template, options


@pytest.mark.parametrize("name", list(BODIES))
async def test_sse_reader_sees_the_events_openai_decodes(name: str) -> None:
    body = BODIES[name][1]
    expected = [sse.data async for sse in SSEDecoder().aiter_bytes(_Pieces(body, 1).__aiter__())]
    assert [data async for data in event_data(_Pieces(body, 1))] == expected  # type: ignore[arg-type]


def test_recorded_and_hand_made_streams_are_all_covered() -> None:
    """Every recorded stream is in the table, and each stock branch has a stream."""
    recorded = {r.name for r in recordings().values() if r.is_sse and r.status == 200}
    assert recorded <= set(BODIES)
    assert any(b"reasoning_content" in body for _, body in BODIES.values())
    assert any(b'"reasoning"' in body for _, body in BODIES.values())


_BUILDERS = {
    "text_delta": {"content_index": 0, "item_id": "i", "output_index": 0, "logprobs": []},
    "refusal_delta": {"content_index": 1, "item_id": "i", "output_index": 2},
    "arguments_delta": {"item_id": "i", "output_index": 3},
    "summary_text_delta": {"item_id": "i", "output_index": 0, "summary_index": 1},
    "reasoning_text_delta": {"item_id": "i", "output_index": 0, "content_index": 0},
}


@pytest.mark.parametrize("builder", list(_BUILDERS))
def test_unvalidated_events_equal_validated_ones(builder: str) -> None:
    build = getattr(_unvalidated, builder)
    cls = build._cls
    values = {
        **_BUILDERS[builder],
        "delta": "tok",
        "sequence_number": 4,
        "type": cls.model_fields["type"].annotation.__args__[0],
    }
    fast, validated = build(**values), cls(**values)
    assert fast == validated
    assert fast.model_dump() == validated.model_dump()
    assert fast.model_fields_set == validated.model_fields_set
    assert fast.model_dump_json() == validated.model_dump_json()
    with pytest.raises(pydantic.ValidationError):
        build(**{**values, "delta": 7})  # not a string: validated, as the SDK would

"""Streamed tool calls some endpoints leave incomplete, completed before the SDK reads them.

Gemini's compatible endpoint sends each call whole in one delta with `"id": ""` and no
`index` (tests/fixtures/provider-recordings/gemini-compat-stream-toolcall-*.sse). The SDK
then refuses to run the call ("Tool invocations require a non-empty string call ID"), and
two such calls in one stream, both without `index`, would be merged into one corrupt call.
So, per stream: a call delta without `index` gets the next free one (it is a call of its
own), and the first delta of a call that names a function but has no id gets one made up
(`call_cw_<n>`, unique within the run). Deltas that have both, as OpenAI sends them, pass unchanged.

Both models apply it: `FastChatModel` to its parsed chunk dicts, the SDK's model
(`RepairingChatCompletionsModel`) to the `openai` client's chunk objects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from agents import OpenAIChatCompletionsModel

from chatwait.providers._attempts import made_up_call_id


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _set(obj: Any, name: str, value: Any) -> None:
    if isinstance(obj, dict):
        obj[name] = value
    else:
        setattr(obj, name, value)


class ToolCallRepair:
    """The state of one stream: which call indexes exist and which have an id."""

    def __init__(self) -> None:
        self._with_id: set[int] = set()
        self._seen: set[int] = set()

    def chunk(self, chunk: Any) -> Any:
        """`chunk` with its tool-call deltas completed (in place); any chunk shape."""
        for choice in _get(chunk, "choices") or ():
            delta = _get(choice, "delta")
            calls = _get(delta, "tool_calls") if delta is not None else None
            for call in calls or ():
                self._call(call)
        return chunk

    def _call(self, call: Any) -> None:
        index = _get(call, "index")
        if not isinstance(index, int):
            index = max(self._seen, default=-1) + 1
            _set(call, "index", index)
        self._seen.add(index)
        function = _get(call, "function")
        if _get(call, "id"):
            self._with_id.add(index)
        elif index not in self._with_id and function is not None and _get(function, "name"):
            _set(call, "id", made_up_call_id())
            self._with_id.add(index)


async def repaired(chunks: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """Each chunk of one stream, its tool calls completed."""
    repair = ToolCallRepair()
    async for chunk in chunks:
        yield repair.chunk(chunk)


class _RepairedStream:
    """The `openai` client's stream, read through a `ToolCallRepair`; the rest as is."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __aiter__(self) -> AsyncIterator[Any]:
        return repaired(self._stream.__aiter__())


class RepairingChatCompletionsModel(OpenAIChatCompletionsModel):
    """The SDK's Chat Completions model, its streamed tool calls completed."""

    async def _fetch_response(self, *args: Any, **kwargs: Any) -> Any:
        fetched = await super()._fetch_response(*args, **kwargs)
        if kwargs.get("stream") and isinstance(fetched, tuple):
            response, stream = fetched
            return response, _RepairedStream(stream)
        return fetched

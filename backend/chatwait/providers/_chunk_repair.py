"""Stream chunks some endpoints shape their own way, put right before the SDK reads them.

Thought parts: Gemini's compatible endpoint (asked to include thoughts) streams its
thinking inside `delta.content`, each such delta flagged `extra_content.google.thought`,
the first opening with `<thought>` and the answer's first delta opening with `</thought>`
(tests/fixtures/provider-recordings/secondary/gemini-compat-stream-thinking-01.apifox.sse).
A flagged delta's content becomes `reasoning_content` (as DeepSeek sends it, which the SDK
streams as reasoning), and the `</thought>` before the answer is dropped.

Tool calls:
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


_OPEN, _CLOSE = "<thought>", "</thought>"


def _is_thought(delta: Any) -> bool:
    extra = _get(delta, "extra_content")
    google = _get(extra, "google") if extra is not None else None
    return bool(google is not None and _get(google, "thought"))


class ChunkRepair:
    """The state of one stream: which call indexes exist and which have an id."""

    __slots__ = ("_seen", "_thinking", "_with_id")

    def __init__(self) -> None:
        # Sets only once a tool call comes: most streams have none, and an empty set is
        # ~0.2 KB held for the stream's whole life.
        self._with_id: set[int] | None = None
        self._seen: set[int] | None = None
        self._thinking = False

    def chunk(self, chunk: Any) -> Any:
        """`chunk` put right (in place); any chunk shape (dicts, `openai` objects)."""
        for choice in _get(chunk, "choices") or ():
            delta = _get(choice, "delta")
            if delta is None:
                continue
            self._thought(delta)
            for call in _get(delta, "tool_calls") or ():
                self._call(call)
        return chunk

    def _thought(self, delta: Any) -> None:
        content = _get(delta, "content")
        if not isinstance(content, str):
            return
        if _is_thought(delta):
            self._thinking = True
            _set(delta, "reasoning_content", content.removeprefix(_OPEN))
            _set(delta, "content", None)
        elif self._thinking and content.startswith(_CLOSE):
            self._thinking = False
            _set(delta, "content", content.removeprefix(_CLOSE))

    def _call(self, call: Any) -> None:
        if self._seen is None or self._with_id is None:
            self._seen, self._with_id = set(), set()
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
    """Each chunk of one stream, put right."""
    repair = ChunkRepair()
    async for chunk in chunks:
        yield repair.chunk(chunk)
        del chunk  # not held while the next one is awaited


class _RepairedStream:
    """The `openai` client's stream, read through a `ChunkRepair`; the rest as is."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __aiter__(self) -> AsyncIterator[Any]:
        return repaired(self._stream.__aiter__())


class RepairingChatCompletionsModel(OpenAIChatCompletionsModel):
    """The SDK's Chat Completions model, its stream chunks put right."""

    async def _fetch_response(self, *args: Any, **kwargs: Any) -> Any:
        fetched = await super()._fetch_response(*args, **kwargs)
        if kwargs.get("stream") and isinstance(fetched, tuple):
            response, stream = fetched
            return response, _RepairedStream(stream)
        return fetched

"""Chat Completions chunks from an SSE body, read the way the `openai` client reads them.

`openai`'s `SSEDecoder` + `AsyncStream` define what a stream means to the stock model, so
this mirrors them line for line: CR, LF and CRLF end lines; `data:` lines join with "\\n";
an event is dispatched at a blank line (one without a final blank line is dropped); `[DONE]`
ends the stream and the rest of the body is drained for up to 0.1 s so the connection can be
reused; a chunk that is a JSON object with a truthy `error` raises `openai.APIError` with it.
The difference is cost: lines come from aiohttp's `StreamReader.readuntil` and JSON is parsed
with orjson into plain dicts; the SDK-facing objects are built later, only where needed.
Where orjson refuses what `json` accepts (NaN, lone surrogate escapes), `json` decides, so a
chunk is malformed exactly when the stock path says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import aiohttp
import httpx2
import openai
import orjson

from chatwait.providers.fast._request import BuiltRequest
from chatwait.providers.fast._wire_errors import TRANSPORT_ERRORS, client_error

DRAIN_SECONDS = 0.1
"""How long the `openai` client reads past `[DONE]` before closing (`drain_response_async`)."""


async def event_data(content: aiohttp.StreamReader) -> AsyncGenerator[str, None]:
    """The `data` of each SSE event of the body, in order.

    Reads whatever arrived (`readany`, one call per network read) and splits lines itself:
    a line waits for its LF (a CR before it is dropped; CRs inside split it), so only the
    end of the body can hold a line ended by a lone CR.

    Between two events the event loop gets a turn, as the `openai` client gives it one per
    network read: the SDK's `stream_events()` drops the events its consumer had not taken
    yet when the model call fails, so events handed over in one burst right before an error
    (a malformed chunk, an error object, a dropped connection) would be lost. A read that
    waited for the network is that turn; otherwise a `sleep(0)` is.
    """
    decoder = _EventDecoder()
    buffer = bytearray()
    readany = content.readany
    turn = True
    """The loop ran since the last event was handed over."""
    while True:
        received = content.total_bytes
        chunk = await readany()
        turn = turn or content.total_bytes != received
        if not chunk:
            events = decoder.lines(bytes(buffer).split(b"\r"), last_is_partial=True)
        else:
            events = []
            scanned = len(buffer)
            buffer += chunk
            start = 0
            while (end := buffer.find(b"\n", scanned)) >= 0:
                raw = bytes(buffer[start : end - 1 if buffer[end - 1 : end] == b"\r" else end])
                start = scanned = end + 1
                events += decoder.lines(raw.split(b"\r") if b"\r" in raw else (raw,))
            if start:
                del buffer[:start]
        for data in events:
            if not turn:
                await asyncio.sleep(0)
            yield data
            turn = False
        if not chunk:
            if not turn:
                await asyncio.sleep(0)  # the end may raise too (no finish reason, ...)
            return


class _EventDecoder:
    """Lines to event data, as `openai`'s `SSEDecoder.decode` does."""

    __slots__ = ("data", "fields")

    def __init__(self) -> None:
        self.data: list[str] = []
        self.fields = _Fields()

    def lines(self, lines: Any, *, last_is_partial: bool = False) -> list[str]:
        """The data of the events these lines complete (usually none or one)."""
        done: list[str] = []
        if last_is_partial:
            *lines, partial = lines
            if partial:  # the body ended inside a line: it counts, but nothing dispatches it
                lines.append(partial)
        for raw in lines:
            line = raw.decode("utf-8")
            if not line:
                if self.data or self.fields.dispatch():
                    done.append("\n".join(self.data))
                    self.data = []
                    self.fields.reset()
            elif line.startswith("data:"):
                self.data.append(line[6:] if line.startswith("data: ") else line[5:])
            elif not line.startswith(":"):
                self.fields.apply(line, self.data)
        return done


class _Fields:
    """The SSE fields besides `data`, as far as they decide whether a blank line dispatches.

    As in `openai`'s decoder (and the SSE spec), the last event id is not reset after an
    event, so once a non-empty `id:` was seen every blank line dispatches an event.
    """

    __slots__ = ("event", "last_id", "retry")

    def __init__(self) -> None:
        self.event = self.last_id = self.retry = False

    def dispatch(self) -> bool:
        return self.event or self.last_id or self.retry

    def reset(self) -> None:
        self.event = self.retry = False

    def apply(self, line: str, data: list[str]) -> None:
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":  # "data" without a colon
            data.append(value)
        elif name == "event":
            self.event = bool(value)
        elif name == "id" and "\0" not in value:
            self.last_id = bool(value)
        elif name == "retry":
            with contextlib.suppress(ValueError):
                int(value)
                self.retry = True


def _loads(data: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # raises the same JSONDecodeError the stock path raises


async def chunks(response: aiohttp.ClientResponse, request: BuiltRequest) -> AsyncIterator[Any]:
    """Each chunk of a streamed chat completion, parsed; `request` names it in errors."""
    content = response.content
    events = event_data(content)
    try:
        async for data in events:
            if data.startswith("[DONE]"):
                await _drain(content)
                return
            chunk = _loads(data)
            if isinstance(chunk, dict) and chunk.get("error"):
                raise _stream_error(chunk["error"], request.httpx_request)
            yield chunk
            del chunk, data  # not held while the next read waits (an idle stream's memory)
    except TRANSPORT_ERRORS as error:
        failure = client_error(error, request.httpx_request, reading=True)
        raise failure from failure.__cause__
    finally:
        await events.aclose()


def _stream_error(error: Any, request: httpx2.Request) -> openai.APIError:
    message = error.get("message") if isinstance(error, dict) else None
    if not message or not isinstance(message, str):
        message = "An error occurred during streaming"
    return openai.APIError(message=message, request=request, body=error)


async def _drain(content: aiohttp.StreamReader) -> None:
    """Read what follows `[DONE]` (normally nothing) so the connection goes back to the pool."""
    with contextlib.suppress(*TRANSPORT_ERRORS):
        async with asyncio.timeout(DRAIN_SECONDS):
            while await content.readany():
                pass

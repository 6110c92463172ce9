"""One arm of the client benchmark, run in a process of its own (`bench/clients.py`).

Each arm reads the same streamed chat completion from the offline provider its own way and
counts the text chunks it got; `measure` runs one warm-up stream (imports, first connection),
then `streams` concurrent ones, and reports the CPU this process spent on them. Arms:

- `openai`: the bare `openai` client (httpx2 under it), as ChatWait's stock path reads;
- `openai-aiohttp`: the same client over its own aiohttp transport (`DefaultAioHttpClient`);
- `httpx2`, `httpx`, `aiohttp`: the client's streaming line reader plus `orjson`, the least
  an SSE relay must do (no Agents SDK);
- `sdk-stock`, `sdk-fast`: `Runner.run_streamed` with ChatWait's agent as `Provider` builds
  it, with `PROVIDER_CLIENT=sdk` and `=fast` (what ChatWait itself pays per token).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

MODEL = "offline-1"
INSTRUCTIONS = "You are a helpful assistant. Answer clearly and concisely."
TIMEOUT_S = 120.0
MAX_CONNECTIONS = 4096

Reader = Callable[[str], Awaitable[int]]
"""(message) -> text chunks received."""


def _body(message: str) -> dict[str, Any]:
    return {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": message},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def _count(line: bytes | str) -> int:
    """1 when an SSE `data:` line carries choice 0 text, else 0."""
    if isinstance(line, str):
        line = line.encode()
    if not line.startswith(b"data:"):
        return 0
    data = line[5:].strip()
    if data == b"[DONE]":
        return 0
    choices = orjson.loads(data).get("choices") or ()
    return 1 if choices and (choices[0].get("delta") or {}).get("content") else 0


async def _openai_arm(base_url: str, transport: str) -> tuple[Reader, Callable[[], Awaitable]]:
    import httpx2
    from openai import AsyncOpenAI, DefaultAioHttpClient

    limits = httpx2.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=256)
    if transport == "aiohttp":
        http: httpx2.AsyncClient = DefaultAioHttpClient(timeout=TIMEOUT_S, limits=limits)
    else:
        http = httpx2.AsyncClient(timeout=TIMEOUT_S, limits=limits)
    client = AsyncOpenAI(base_url=base_url, api_key="unused", max_retries=0, http_client=http)

    async def read(message: str) -> int:
        body = _body(message)
        stream = await client.chat.completions.create(**body)
        chunks = 0
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                chunks += 1
        return chunks

    return read, client.close


async def _httpx_arm(base_url: str, module: str) -> tuple[Reader, Callable[[], Awaitable]]:
    httpx: Any = __import__(module)
    limits = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=256)
    client = httpx.AsyncClient(timeout=TIMEOUT_S, limits=limits)
    url = f"{base_url}/chat/completions"

    async def read(message: str) -> int:
        content = orjson.dumps(_body(message))
        headers = {"content-type": "application/json", "authorization": "Bearer unused"}
        chunks = 0
        async with client.stream("POST", url, content=content, headers=headers) as response:
            async for line in response.aiter_lines():
                chunks += _count(line)
        return chunks

    return read, client.aclose


async def _aiohttp_arm(base_url: str) -> tuple[Reader, Callable[[], Awaitable]]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS)
    session = aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=None, sock_read=TIMEOUT_S)
    )
    url = f"{base_url}/chat/completions"

    async def read(message: str) -> int:
        content = orjson.dumps(_body(message))
        headers = {"content-type": "application/json", "authorization": "Bearer unused"}
        chunks = 0
        async with session.post(url, data=content, headers=headers) as response:
            async for line in response.content:
                chunks += _count(line)
        return chunks

    return read, session.close


async def _sdk_arm(base_url: str, client: str) -> tuple[Reader, Callable[[], Awaitable]]:
    from agents import RunConfig, Runner

    from chatwait.providers.base import Provider

    provider = Provider(
        name="offline",
        base_url=base_url,
        api_key=None,
        models=(MODEL,),
        default_model=MODEL,
        timeout=TIMEOUT_S,
        max_retries=0,
        client_kind=client,
    )

    async def read(message: str) -> int:
        agent = provider.build_agent(agent_name="offline", model=MODEL, instructions=INSTRUCTIONS)
        result = Runner.run_streamed(
            agent,
            [{"role": "user", "content": message}],
            run_config=RunConfig(tracing_disabled=True),
        )
        chunks = 0
        async for event in result.stream_events():
            if (
                event.type == "raw_response_event"
                and event.data.type == "response.output_text.delta"
                and event.data.delta
            ):
                chunks += 1
        return chunks

    return read, provider.aclose


async def build(arm: str, base_url: str) -> tuple[Reader, Callable[[], Awaitable]]:
    """The reader and the close function of `arm`."""
    if arm in ("openai", "openai-aiohttp"):
        return await _openai_arm(base_url, "aiohttp" if arm == "openai-aiohttp" else "httpx2")
    if arm in ("httpx", "httpx2"):
        return await _httpx_arm(base_url, arm)
    if arm == "aiohttp":
        return await _aiohttp_arm(base_url)
    if arm in ("sdk-stock", "sdk-fast"):
        return await _sdk_arm(base_url, "sdk" if arm == "sdk-stock" else "fast")
    raise SystemExit(f"unknown arm {arm!r}")


ARMS = ("openai", "openai-aiohttp", "httpx2", "httpx", "aiohttp", "sdk-stock", "sdk-fast")


async def measure(arm: str, base_url: str, streams: int) -> dict[str, Any]:
    """CPU of this process over `streams` concurrent streams, after one warm-up stream."""
    read, close = await build(arm, base_url)
    try:
        await read("warm up")
        cpu, wall = time.process_time(), time.perf_counter()
        counts = await asyncio.gather(*(read(f"stream {i}") for i in range(streams)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await close()
    tokens = sum(counts)
    return {
        "arm": arm,
        "streams": streams,
        "tokens": tokens,
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_us_per_token": cpu / tokens * 1e6 if tokens else None,
    }


def main(argv: list[str]) -> None:
    """`python -m bench.experiments.client_arms ARM BASE_URL STREAMS`: one JSON line on stdout."""
    arm, base_url, streams = argv[0], argv[1], int(argv[2])
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency of uvicorn[standard]
        result = asyncio.run(measure(arm, base_url, streams))
    else:
        result = uvloop.run(measure(arm, base_url, streams))
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])

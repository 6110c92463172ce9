"""Timing: tokens are paced against absolute deadlines, stamped on request, and stop on
disconnect (uvicorn drops sends to a gone client silently, so pacing must notice)."""

from __future__ import annotations

import re
import time

import httpx
from openai import AsyncOpenAI

from chatwait.sim import SimConfig, create_sim_app

from ._support import client, conversation, serve_in_thread, wait_for

PACED = SimConfig(ttft_ms=100, tokens_per_second=50, answer_tokens=20)


async def _timed_stream(api: AsyncOpenAI) -> tuple[float, float, list[str]]:
    """(seconds to first token, seconds to last token, token texts) of one stream."""
    started = time.monotonic()
    stream = await api.chat.completions.create(
        model="offline-1", messages=conversation("Pace yourself."), stream=True
    )
    texts: list[str] = []
    first = last = 0.0
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            last = time.monotonic() - started
            first = first or last
            texts.append(chunk.choices[0].delta.content)
    return first, last, texts


async def test_tokens_arrive_after_ttft_at_the_configured_rate() -> None:
    with serve_in_thread(create_sim_app(PACED)) as url:
        async with client(f"{url}/v1") as api:
            first, last, texts = await _timed_stream(api)
    assert len(texts) == 20
    assert first >= 0.1
    assert last >= 0.1 + 19 / 50


async def test_stamped_tokens_carry_increasing_send_times() -> None:
    config = SimConfig(ttft_ms=0, tokens_per_second=50, answer_tokens=20, stamp_tokens=True)
    before = time.time_ns() // 1000
    with serve_in_thread(create_sim_app(config)) as url:
        async with client(f"{url}/v1") as api:
            _, _, texts = await _timed_stream(api)
            whole = await api.chat.completions.create(
                model="offline-2", messages=conversation("Stamp.")
            )
    stamps = [int(re.fullmatch(r"@(\d+) ", text)[1]) for text in texts]  # type: ignore[index]
    assert len(stamps) == 20 and stamps[0] >= before
    assert all(b > a for a, b in zip(stamps, stamps[1:], strict=False))
    assert stamps[-1] - stamps[0] >= 0.3e6
    assert whole.usage is not None and whole.usage.completion_tokens == 40
    assert re.fullmatch(r"(@\d+ ){40}", whole.choices[0].message.content or "")


async def test_client_disconnect_ends_the_stream() -> None:
    app = create_sim_app(SimConfig(ttft_ms=0, tokens_per_second=20, answer_tokens=400))
    body = {"model": "offline-1", "messages": conversation("Go on..."), "stream": True}
    with serve_in_thread(app) as url:
        async with (
            httpx.AsyncClient(timeout=10) as http,
            http.stream("POST", f"{url}/v1/chat/completions", json=body) as response,
        ):
            lines = response.aiter_lines()
            assert (await anext(lines)).startswith("data: ")
            assert app.state.sim.streaming.value == 1
        await wait_for(lambda: app.state.sim.streaming.value == 0)

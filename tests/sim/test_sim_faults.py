"""Each fault model fails the way real providers do, as the `openai` client sees it."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import openai
import pytest
from openai import AsyncOpenAI
from starlette.applications import Starlette

from chatwait.sim import SimConfig, create_sim_app
from chatwait.sim._app import FlakyCounter

from ._support import FAST, client, conversation, serve_in_thread, wait_for


async def test_fault_429_is_a_rate_limit_with_retry_after(api: AsyncOpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        await api.chat.completions.create(model="fault-429", messages=conversation("Hi"))
    error = caught.value
    assert error.status_code == 429 and error.code == "rate_limit_exceeded"
    assert isinstance(error.body, dict) and error.type == "requests"
    assert error.body["message"].startswith("Rate limit reached for requests")
    assert float(error.response.headers["retry-after"]) == FAST.retry_after_seconds
    assert error.response.headers["retry-after-ms"] == "300"


async def test_client_honours_retry_after_before_retrying(sim_url: str) -> None:
    started = time.monotonic()
    async with client(sim_url, max_retries=1) as api:
        with pytest.raises(openai.RateLimitError):
            await api.chat.completions.create(model="fault-429", messages=conversation("Hi"))
    assert time.monotonic() - started >= FAST.retry_after_seconds


async def test_fault_500_is_an_internal_server_error(api: AsyncOpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        await api.chat.completions.create(model="fault-500", messages=conversation("Hi"))
    assert caught.value.status_code == 500 and caught.value.type == "server_error"


async def test_fault_401_echoes_the_key_it_received(sim_url: str) -> None:
    key = "sk-proj-echo-me-0123456789abcdef"
    async with AsyncOpenAI(base_url=sim_url, api_key=key, max_retries=0) as api:
        with pytest.raises(openai.AuthenticationError) as caught:
            await api.chat.completions.create(
                model="fault-401", messages=conversation("Hi"), stream=True
            )
    assert caught.value.code == "invalid_api_key"
    assert f"Incorrect API key provided: {key}." in caught.value.message


async def test_unknown_model_is_not_found(api: AsyncOpenAI) -> None:
    for stream in (False, True):
        with pytest.raises(openai.NotFoundError) as caught:
            await api.chat.completions.create(
                model="gpt-nonexistent", messages=conversation("Hi"), stream=stream
            )
        assert caught.value.code == "model_not_found"
        assert "The model `gpt-nonexistent` does not exist" in caught.value.message


async def test_fault_hang_times_out_and_ends_when_the_client_leaves(
    sim_url: str, sim_app: Starlette
) -> None:
    async with client(sim_url, timeout=0.3) as api:
        with pytest.raises(openai.APITimeoutError):
            await api.chat.completions.create(model="fault-hang", messages=conversation("Hi"))
    await wait_for(lambda: sim_app.state.sim.hanging.value == 0)


def test_fault_hang_does_not_block_server_shutdown() -> None:
    app = create_sim_app(SimConfig(hang_seconds=60))
    outcome: dict[str, object] = {}

    def call(url: str) -> None:
        body = {"model": "fault-hang", "messages": conversation("Hi")}
        try:
            outcome["status"] = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=30)
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    with serve_in_thread(app) as url:
        caller = threading.Thread(target=call, args=(url,))
        caller.start()
        asyncio.run(wait_for(lambda: app.state.sim.hanging.value == 1))
    caller.join(10)
    response = outcome.get("status")
    assert isinstance(response, httpx.Response), outcome
    assert response.status_code == 503 and app.state.sim.hanging.value == 0


@pytest.mark.parametrize("n", [0, 3, 30])
async def test_fault_drop_after_n_drops_the_connection_after_n_chunks(
    api: AsyncOpenAI, n: int
) -> None:
    texts: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        stream = await api.chat.completions.create(
            model=f"fault-drop-after-{n}", messages=conversation("Hi"), stream=True
        )
        async for chunk in stream:
            assert chunk.choices[0].finish_reason is None
            texts.append(chunk.choices[0].delta.content or "")
    assert len(texts) == n and all(texts)


async def test_fault_drop_without_streaming_is_a_connection_error(api: AsyncOpenAI) -> None:
    with pytest.raises(openai.APIConnectionError):
        await api.chat.completions.create(model="fault-drop-after-2", messages=conversation("Hi"))


async def test_fault_malformed_breaks_after_two_tokens(api: AsyncOpenAI) -> None:
    texts: list[str] = []
    with pytest.raises(ValueError, match="Expecting value"):
        stream = await api.chat.completions.create(
            model="fault-malformed", messages=conversation("Hi"), stream=True
        )
        async for chunk in stream:
            texts.append(chunk.choices[0].delta.content or "")
    assert texts == ["You ", "asked: "]
    with pytest.raises(ValueError, match="Expecting value"):
        await api.chat.completions.create(model="fault-malformed", messages=conversation("Hi"))


async def test_fault_flaky_fails_k_times_then_answers_like_offline_1(
    sim_url: str, api: AsyncOpenAI
) -> None:
    messages = conversation("Are you there?")
    async with client(sim_url, max_retries=2) as patient:
        answer = await patient.chat.completions.create(model="fault-flaky-2", messages=messages)
    offline = await api.chat.completions.create(model="offline-1", messages=messages)
    assert answer.choices[0].message.content == offline.choices[0].message.content
    assert answer.model == "fault-flaky-2"


async def test_fault_flaky_with_too_few_retries_fails_with_503(sim_url: str) -> None:
    async with client(sim_url, max_retries=1) as impatient:
        with pytest.raises(openai.InternalServerError) as caught:
            await impatient.chat.completions.create(
                model="fault-flaky-2", messages=conversation("Are you there?"), stream=True
            )
    assert caught.value.status_code == 503


def test_flaky_counters_are_bounded() -> None:
    counter = FlakyCounter(max_entries=2)
    assert counter.should_fail(b"a", 1) and not counter.should_fail(b"a", 1)
    assert counter.should_fail(b"b", 1) and counter.should_fail(b"c", 1)
    # "a" was the least recently used and has been forgotten, so it fails afresh.
    assert counter.should_fail(b"a", 1)
    assert len(counter) == 2

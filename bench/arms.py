"""The ways one turn is measured: the limit, the bare SDK, and through ChatWait.

- `direct`: the `openai` client streams each run from the offline provider (the limit);
- `sdk`: `Runner.run_streamed` in this process against the same provider, the agent built
  as ChatWait builds it (same client limits, `include_usage=True`, tracing off);
- `stream`: `POST /chat/streaming` on ChatWait, read as SSE;
- `wait`: `POST /chat/wait` on ChatWait (TTFT as the server reports it).

A turn with N agents is N concurrent runs in every arm. Every arm records the same things:
TTFT from the request to the first text chunk, each token's delivery delay (arrival minus
the send time stamped in it), token count and errors.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx2
from agents import Agent, ModelSettings, OpenAIChatCompletionsModel, RunConfig, Runner
from openai import AsyncOpenAI

from bench.stats import RunSample, TurnSample
from bench.wire import post_json, stream_sse

AGENTS = ("offline", "offline-2")
MODEL = "offline-1"
INSTRUCTIONS = "You are a helpful assistant. Answer clearly and concisely."
"""ChatWait's default system prompt, so every arm sends the provider the same request."""
MAX_CONNECTIONS = 4096

TurnFn = Callable[[int, str], Awaitable[TurnSample]]
"""(agents, message) -> the turn as measured."""


def _now_us() -> int:
    return time.time_ns() // 1000


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


async def _turn(runs: list[Awaitable[RunSample]]) -> TurnSample:
    started = time.perf_counter()
    samples = await asyncio.gather(*runs)
    return TurnSample(list(samples), (time.perf_counter() - started) * 1000)


@dataclass
class ProviderArms:
    """The `direct` and `sdk` arms: clients of the offline provider in this process."""

    base_url: str

    def __post_init__(self) -> None:
        http = httpx2.AsyncClient(
            timeout=120.0,
            limits=httpx2.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=256),
        )
        self.client = AsyncOpenAI(
            base_url=self.base_url, api_key="unused", max_retries=0, http_client=http
        )

    async def close(self) -> None:
        await self.client.close()

    async def direct(self, agents: int, message: str) -> TurnSample:
        return await _turn([self._direct_run(message) for _ in range(agents)])

    async def sdk(self, agents: int, message: str) -> TurnSample:
        return await _turn([self._sdk_run(i, message) for i in range(agents)])

    async def _direct_run(self, message: str) -> RunSample:
        sample, started = RunSample(), time.perf_counter()
        try:
            stream = await self.client.chat.completions.create(
                model=MODEL,
                messages=[
                    {"role": "system", "content": INSTRUCTIONS},
                    {"role": "user", "content": message},
                ],
                stream=True,
                stream_options={"include_usage": True},
            )
            async for chunk in stream:
                if chunk.choices and (text := chunk.choices[0].delta.content):
                    sample.token(text, started, time.perf_counter(), _now_us())
        except Exception as exc:  # noqa: BLE001 - an error is a measurement
            sample.error = _error(exc)
        return sample

    async def _sdk_run(self, index: int, message: str) -> RunSample:
        sample, started = RunSample(), time.perf_counter()
        try:
            agent = Agent(
                name=AGENTS[index % len(AGENTS)],
                instructions=INSTRUCTIONS,
                model=OpenAIChatCompletionsModel(model=MODEL, openai_client=self.client),
                model_settings=ModelSettings(include_usage=True),
            )
            result = Runner.run_streamed(
                agent,
                [{"role": "user", "content": message}],
                run_config=RunConfig(tracing_disabled=True),
            )
            async for event in result.stream_events():
                if (
                    event.type == "raw_response_event"
                    and event.data.type == "response.output_text.delta"
                    and event.data.delta
                ):
                    sample.token(event.data.delta, started, time.perf_counter(), _now_us())
        except Exception as exc:  # noqa: BLE001 - an error is a measurement
            sample.error = _error(exc)
        return sample


def chat_body(agents: int, message: str) -> dict[str, Any]:
    """A ChatWait request for `agents` offline agents, all answering with `offline-1`."""
    names = list(AGENTS[:agents])
    return {"message": message, "agents": names, "models": {n: MODEL for n in names}}


@dataclass
class ChatWaitArms:
    """The `stream` and `wait` arms: clients of a ChatWait server."""

    port: int

    async def stream(self, agents: int, message: str) -> TurnSample:
        started = time.perf_counter()
        runs: dict[str, RunSample] = {}
        error = None
        done = False
        try:
            async for event in stream_sse(self.port, "/chat/streaming", chat_body(agents, message)):
                if event.event == "delta":
                    data = json.loads(event.data)
                    run = runs.setdefault(data["run_id"], RunSample())
                    run.token(data["text"], started, time.perf_counter(), event.arrived_us)
                elif event.event == "run_error":
                    data = json.loads(event.data)
                    runs.setdefault(data["run_id"], RunSample()).error = str(data.get("error"))
                elif event.event == "turn_done":
                    done = json.loads(event.data)["status"] == "done"
                    break
        except Exception as exc:  # noqa: BLE001 - an error is a measurement
            error = _error(exc)
        if error is None and not done:
            error = "stream ended without turn_done: done"
        samples = list(runs.values()) + [
            RunSample(error="no delta") for _ in range(agents - len(runs))
        ]
        return TurnSample(samples, (time.perf_counter() - started) * 1000, error)

    async def wait(self, agents: int, message: str) -> TurnSample:
        started = time.perf_counter()
        try:
            status, body = await post_json(self.port, "/chat/wait", chat_body(agents, message))
        except Exception as exc:  # noqa: BLE001 - an error is a measurement
            return TurnSample([], (time.perf_counter() - started) * 1000, _error(exc))
        latency = (time.perf_counter() - started) * 1000
        if status != 200:
            return TurnSample([], latency, f"status {status}: {str(body)[:150]}")
        samples = []
        for run in body["runs"]:
            sample = RunSample(ttft_ms=run["ttft_ms"], tokens=run["usage"]["output_tokens"])
            if run["status"] != "done":
                sample.error = f"{run['status']}: {run['error']}"
            samples.append(sample)
        return TurnSample(samples, latency)

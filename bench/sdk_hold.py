"""The bare-SDK baseline for holding: N `Runner.run_streamed` streams in a fresh process.

Run by the holding phase as `python -m bench hold-sdk URL N` (a process of its own, so its
memory starts as clean as ChatWait's): ramps to N open streams against the same 1 token/s
provider, reports the RSS they added per stream as one JSON line, then cancels them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time

from agents import Agent, ModelSettings, OpenAIChatCompletionsModel, RunConfig, Runner

from bench.arms import INSTRUCTIONS, MODEL, ProviderArms
from bench.procs import raise_fd_limit, rss_bytes

STARTING_AT_ONCE = 64


class Opened:
    """How many streams have their first token; `all` is set when every one has."""

    def __init__(self, target: int) -> None:
        self.count, self.target, self.all = 0, target, asyncio.Event()

    def one(self) -> None:
        self.count += 1
        if self.count >= self.target:
            self.all.set()


async def _hold(arms: ProviderArms, index: int, gate: asyncio.Semaphore, opened: Opened) -> None:
    async with gate:
        agent = Agent(
            name="offline",
            instructions=INSTRUCTIONS,
            model=OpenAIChatCompletionsModel(model=MODEL, openai_client=arms.client),
            model_settings=ModelSettings(include_usage=True),
        )
        result = Runner.run_streamed(
            agent, [{"role": "user", "content": f"hold {index}"}],
            run_config=RunConfig(tracing_disabled=True),
        )  # fmt: skip
        events = result.stream_events()
        async for event in events:
            if (
                event.type == "raw_response_event"
                and event.data.type == "response.output_text.delta"
            ):
                break
    opened.one()
    async for _event in events:
        pass


async def hold_sdk(base_url: str, streams: int, deadline_s: float) -> dict[str, float | int]:
    raise_fd_limit()
    arms = ProviderArms(base_url)
    before = rss_bytes(os.getpid())
    gate, opened = asyncio.Semaphore(STARTING_AT_ONCE), Opened(streams)
    began = time.monotonic()
    tasks = [asyncio.create_task(_hold(arms, i, gate, opened)) for i in range(streams)]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(opened.all.wait(), deadline_s)
    held = rss_bytes(os.getpid())
    for task in tasks:
        task.cancel()
    with contextlib.suppress(Exception):
        await asyncio.gather(*tasks, return_exceptions=True)
        await arms.close()
    count = opened.count
    return {
        "streams": streams,
        "open": count,
        "ramp_s": round(time.monotonic() - began, 1),
        "rss_before_mb": round(before / 2**20, 1),
        "rss_held_mb": round(held / 2**20, 1),
        "kb_per_stream": round((held - before) / 1024 / count, 1) if count else None,
    }


def main(base_url: str, streams: int, deadline_s: float) -> None:
    from bench.runner import run_async

    print(json.dumps(run_async(lambda: hold_sdk(base_url, streams, deadline_s))), flush=True)

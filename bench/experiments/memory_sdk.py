"""The bare-SDK half of `python -m bench.experiments.memory`, in a process of its own.

`python -m bench.experiments.memory_sdk URL N FRAMES` (tracemalloc with FRAMES frames, 0 = off)
warms up, takes the "before" measurement, opens N `Runner.run_streamed` streams
exactly as the holding phase's bare-SDK baseline does (`bench.sdk_hold`), takes the
"after" one once every stream has its first token, and prints one JSON line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from typing import Any

from bench.arms import ProviderArms
from bench.experiments.memprobe import Probe
from bench.procs import raise_fd_limit
from bench.runner import run_async
from bench.sdk_hold import STARTING_AT_ONCE, Opened, _hold

WARM_UP = 4


async def measure(probe: Probe, base_url: str, streams: int, deadline_s: float) -> dict[str, Any]:
    raise_fd_limit()
    arms = ProviderArms(base_url)
    warm = Opened(WARM_UP)
    gate = asyncio.Semaphore(STARTING_AT_ONCE)
    warming = [asyncio.create_task(_hold(arms, -i, gate, warm)) for i in range(1, WARM_UP + 1)]
    await asyncio.wait_for(warm.all.wait(), deadline_s)
    for task in warming:
        task.cancel()
    await asyncio.gather(*warming, return_exceptions=True)
    await asyncio.sleep(0.5)
    begin = probe.begin()
    opened, began = Opened(streams), time.monotonic()
    tasks = [asyncio.create_task(_hold(arms, i, gate, opened)) for i in range(streams)]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(opened.all.wait(), deadline_s)
    ramp_s = time.monotonic() - began
    result = probe.end()
    for task in tasks:
        task.cancel()
    with contextlib.suppress(Exception):
        await asyncio.gather(*tasks, return_exceptions=True)
        await arms.close()
    return {
        "part": "sdk",
        "frames": probe.frames,
        "streams": streams,
        "open": opened.count,
        "ramp_s": round(ramp_s, 1),
        "begin": begin,
        **result,
    }


def main(argv: list[str]) -> None:
    base_url, streams, frames = argv[0], int(argv[1]), int(argv[2])
    probe = Probe(frames)
    result = run_async(lambda: measure(probe, base_url, streams, 300.0))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

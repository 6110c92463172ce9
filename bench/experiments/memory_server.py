"""ChatWait's own server (`chatwait.cli`, unchanged) with a memory probe, bench-only.

`python -m bench.experiments.memory_server [chatwait args]` serves exactly as `chatwait` does.
SIGUSR1 takes the "before" measurement and starts tracemalloc (`BENCH_MEMORY_FRAMES`
frames, 0 = off), SIGUSR2 the "after" one; each runs as a callback
on the server's loop and writes `begin.json` / `end.json` into `BENCH_MEMORY_DIR`.
Nothing is added to the app: no route, no middleware.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from bench.experiments.memprobe import Probe


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Write atomically: a reader polling for `path` never sees half of it."""
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(value))
    partial.rename(path)


def install(probe: Probe, out: Path) -> None:
    """SIGUSR1 / SIGUSR2 schedule `probe.begin` / `probe.end` on the running loop."""

    def on_loop(name: str, step: Callable[[], dict[str, Any]]) -> None:
        try:
            result = step()
        except Exception:  # noqa: BLE001 - reported to the parent instead
            result = {"error": traceback.format_exc()}
        write_json(out / f"{name}.json", result)

    def handler(name: str, step: Callable[[], dict[str, Any]]) -> Callable[..., None]:
        def handle(_sig: int, _frame: FrameType | None) -> None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                on_loop(name, step)
                return
            loop.call_soon_threadsafe(on_loop, name, step)

        return handle

    signal.signal(signal.SIGUSR1, handler("begin", probe.begin))
    signal.signal(signal.SIGUSR2, handler("end", probe.end))


def main(argv: list[str]) -> None:
    out = Path(os.environ["BENCH_MEMORY_DIR"])
    out.mkdir(parents=True, exist_ok=True)
    probe = Probe(int(os.environ.get("BENCH_MEMORY_FRAMES", "25")))
    install(probe, out)
    from chatwait.cli import main as chatwait_main

    chatwait_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])

"""`python -m bench.experiments.memory`: where each held streaming turn's memory goes.

Against one offline provider at 1 token/s, two processes are measured the same way
(`bench.experiments.memprobe`): the bare SDK holding N `Runner.run_streamed` streams
(`bench.experiments.memory_sdk`), and ChatWait's own server
(`bench.experiments.memory_server`, its unchanged CLI under a probe driven by
SIGUSR1/SIGUSR2) holding N `POST /chat/streaming` turns opened by clients in this
process, so client memory is never counted. "After" is taken once every stream has its
first token. A second pass without tracemalloc gives clean RSS figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.arms import chat_body
from bench.experiments._results import write_results
from bench.experiments.memory_report import markdown
from bench.procs import Server, chatwait_server, raise_fd_limit, sim_server
from bench.wire import post_json, stream_sse

ANSWER_TOKENS = 900
"""Tokens per answer at 1 token/s: no stream ends while it is measured."""
STARTING_AT_ONCE = 64
WARM_UP = 4
PROBE_TIMEOUT_S = 600.0
REPO = str(Path(__file__).resolve().parents[2])


def sdk_part(sim: Server, streams: int, frames: int, workdir: Path) -> dict[str, Any]:
    """The bare-SDK child, run to completion; its JSON line."""
    module = "bench.experiments.memory_sdk"
    command = [sys.executable, "-m", module, f"{sim.base_url}/v1", str(streams), str(frames)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        return {"part": "sdk", "frames": frames, "error": done.stderr[-2000:]}
    return json.loads(lines[-1])


async def _wait_file(path: Path, server: Server) -> dict[str, Any]:
    deadline = time.monotonic() + PROBE_TIMEOUT_S
    while not await asyncio.to_thread(path.exists):
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"no {path.name} from the server (see {server.log_path})")
        await asyncio.sleep(0.2)
    return json.loads(await asyncio.to_thread(path.read_text))


class Opened:
    """Turn ids of the streams that have their first delta; `all` once `target` have."""

    def __init__(self, target: int) -> None:
        self.ids: list[str] = []
        self.target, self.all = target, asyncio.Event()

    def add(self, turn_id: str) -> None:
        self.ids.append(turn_id)
        if len(self.ids) >= self.target:
            self.all.set()


async def _turn(port: int, tag: str, gate: asyncio.Semaphore, opened: Opened) -> None:
    """One streaming turn read to its first delta (then drained); records its turn id."""
    turn_id = ""
    async with gate:
        events = stream_sse(port, "/chat/streaming", chat_body(1, tag))
        async for event in events:
            if event.event == "turn_started":
                turn_id = json.loads(event.data)["turn_id"]
            elif event.event == "delta":
                break
    opened.add(turn_id)
    async for _event in events:
        pass


async def hold_chatwait(server: Server, streams: int, probe_dir: Path) -> dict[str, Any]:
    """Warm up (turns then cancelled), "before", N held turns, "after"."""
    gate = asyncio.Semaphore(STARTING_AT_ONCE)
    warm = Opened(WARM_UP)
    warming = [
        asyncio.create_task(_turn(server.port, f"warm {i}", gate, warm)) for i in range(WARM_UP)
    ]
    await asyncio.wait_for(warm.all.wait(), 60)
    for task in warming:
        task.cancel()
    await asyncio.gather(*warming, return_exceptions=True)
    for turn_id in warm.ids:
        await post_json(server.port, f"/chat/turns/{turn_id}/cancel", {})
    await asyncio.sleep(1.0)
    os.kill(server.pid, signal.SIGUSR1)
    begin = await _wait_file(probe_dir / "begin.json", server)
    opened = Opened(streams)
    began = time.monotonic()
    tasks = [
        asyncio.create_task(_turn(server.port, f"hold {i}", gate, opened)) for i in range(streams)
    ]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(opened.all.wait(), PROBE_TIMEOUT_S / 2)
    ramp_s = time.monotonic() - began
    open_count = len(opened.ids)
    os.kill(server.pid, signal.SIGUSR2)
    end = await _wait_file(probe_dir / "end.json", server)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "streams": streams,
        "open": open_count,
        "ramp_s": round(ramp_s, 1),
        "begin": begin,
        **end,
    }


def chatwait_part(sim: Server, streams: int, frames: int, workdir: Path) -> dict[str, Any]:
    from bench.runner import run_async

    name = "chatwait"
    probe_dir = workdir / f"probe-{name}"
    env = {
        "BENCH_MEMORY_DIR": str(probe_dir),
        "BENCH_MEMORY_FRAMES": str(frames),
        "PYTHONPATH": os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])),
    }
    with chatwait_server(
        workdir / name, sim=sim, module="bench.experiments.memory_server", extra_env=env
    ) as server:
        result = run_async(lambda: hold_chatwait(server, streams, probe_dir))
    return {"part": name, "frames": frames, **result}


def run_memory(
    streams: int,
    frames: int,
    rss_pass: bool,
    traced_pace: float,
    out: Path | None,
) -> dict[str, Any]:
    """Both parts, traced then (if asked) untraced; writes JSON + markdown, returns them.

    The traced pass runs with the provider at `traced_pace` tokens/s: with 25 frames,
    tracemalloc makes each token cost milliseconds, and at 1 token/s a few hundred held
    streams starve the ramp. Untraced passes run at that pace and at 1 token/s.
    """
    raise_fd_limit()
    passes = [(frames, traced_pace)] if frames else []
    if rss_pass or not frames:
        passes += [(0, traced_pace)] if frames and traced_pace != 1.0 else []
        passes.append((0, 1.0))
    results: dict[str, Any] = {
        "command": "uv run python -m bench " + " ".join(sys.argv[1:]),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "backend_changes": _git("status", "--porcelain", "backend"),
        "streams": streams,
        "frames": frames,
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="chatwait-memory-") as tmp:
        for index, (traced, pace) in enumerate(passes):
            workdir = Path(tmp) / f"pass-{index}"
            with sim_server(
                workdir, ttft_ms=100.0, tokens_per_second=pace, answer_tokens=ANSWER_TOKENS
            ) as sim:
                parts: list[Callable[[Server, int, int, Path], dict[str, Any]]]
                parts = [sdk_part, chatwait_part]
                for part in parts:
                    started = time.monotonic()
                    row = part(sim, streams, traced, workdir)
                    row["tokens_per_second"] = pace
                    results["runs"].append(row)
                    took = time.monotonic() - started
                    label = f"{row['part']} frames={traced} {pace:g} tok/s"
                    _log(f"{label}: {_brief(row)} ({took:.0f} s)")
    out = write_results(results, out, f"memory-{streams}", markdown)
    _log(f"wrote {out} and {out.with_suffix('.md')}")
    return results


def _git(*args: str) -> str:
    """Read-only git facts about the code measured ("" where git is unavailable)."""
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPO, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def _log(message: str) -> None:
    print(f"[memory {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _brief(row: dict[str, Any]) -> str:
    if "error" in row:
        return "error: " + row["error"][-300:]
    return f"{row['open']} open, {row['rss_delta'] / row['open'] / 1024:.1f} KB RSS/stream"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.experiments.memory", description=__doc__)
    parser.add_argument("--streams", type=int, default=300, help="streams held (default 300)")
    parser.add_argument("--frames", type=int, default=25, help="tracemalloc frames (0: off)")
    parser.add_argument("--no-rss-pass", action="store_true", help="skip the untraced passes")
    parser.add_argument(
        "--traced-pace", type=float, default=0.02, help="provider tok/s in the traced pass"
    )
    parser.add_argument("--out", type=Path, help="results JSON (markdown beside it)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        run_memory(
            args.streams,
            args.frames,
            not args.no_rss_pass,
            args.traced_pace,
            args.out,
        )


if __name__ == "__main__":
    main()

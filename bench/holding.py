"""Holding capacity: streaming turns held open at 1 token/s, ramped to N at once.

Every held turn is one `POST /chat/streaming` with one agent, read to its `turn_done`; it
counts as an error unless it ends `done` with every token. The provider answers each
with `hold_tokens` tokens at 1 token/s, long enough that all N are open together once the
ramp is over. Server memory per stream is ChatWait's RSS with all N open minus its RSS just
before the ramp, over N. A new turn's TTFT is probed before the ramp and while all N are
held (each probe reads up to its first delta, then leaves; its run goes on).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench.arms import chat_body
from bench.options import Options
from bench.procs import (
    Server,
    chatwait_server,
    peak_rss_bytes,
    reset_peak_rss,
    rss_bytes,
    sim_server,
)
from bench.stats import summary
from bench.wire import stream_sse

T = TypeVar("T")
RunAsync = Callable[[Callable[[], Awaitable[T]]], T]
STARTING_AT_ONCE = 64
"""Turns being started concurrently during the ramp (each waits for its turn_started)."""


@dataclass
class HoldState:
    target: int
    open: int = 0
    peak_open: int = 0
    started: int = 0
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    tokens: int = 0
    all_open: asyncio.Event = field(default_factory=asyncio.Event)

    def fail(self, reason: str) -> None:
        self.errors += 1
        if len(self.error_examples) < 3:
            self.error_examples.append(reason[:200])

    def opened(self) -> None:
        self.open += 1
        self.started += 1
        self.peak_open = max(self.peak_open, self.open)
        if self.started >= self.target:
            self.all_open.set()


def hold_tokens(streams: int) -> int:
    """Answer length (= seconds per stream): outlasts a ramp of 50+ turns/s, plus slack."""
    return 10 + streams // 25


async def hold_one(
    port: int, index: int, expected: int, gate: asyncio.Semaphore, state: HoldState
) -> None:
    released = False
    await gate.acquire()
    deltas, status, counted = 0, None, False
    try:
        async for event in stream_sse(port, "/chat/streaming", chat_body(1, f"hold {index}")):
            if event.event == "turn_started":
                state.opened()
                counted = True
                gate.release()
                released = True
            elif event.event == "delta":
                deltas += 1
            elif event.event == "turn_done":
                status = event.data
                break
    except Exception as exc:  # noqa: BLE001 - an error is a measurement
        state.fail(f"{type(exc).__name__}: {exc}")
        return
    finally:
        if not released:
            gate.release()
        if counted:
            state.open -= 1
        else:
            state.started += 1
            if state.started >= state.target:
                state.all_open.set()
        state.tokens += deltas
    if status is None or '"done"' not in status or deltas != expected:
        state.fail(f"ended {status}, {deltas}/{expected} deltas")


async def probe_ttft(port: int, tag: str) -> float | None:
    """TTFT of one new streaming turn, ms (None if it failed); leaves after the first delta."""
    started = time.perf_counter()
    try:
        async for event in stream_sse(port, "/chat/streaming", chat_body(1, f"probe {tag}")):
            if event.event == "delta":
                return (time.perf_counter() - started) * 1000
    except Exception:  # noqa: BLE001 - a failed probe is reported as missing
        return None
    return None


async def probes(port: int, count: int, tag: str) -> list[float]:
    values = [await probe_ttft(port, f"{tag} {i}") for i in range(count)]
    return [v for v in values if v is not None]


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def hold(server: Server, streams: int, probe_count: int, expected: int) -> dict[str, Any]:
    await probes(server.port, 3, "warm-up")
    idle_ttft = await probes(server.port, probe_count, "idle")
    rss_before, fds_before = rss_bytes(server.pid), _fds(server.pid)
    reset_peak_rss(server.pid)
    cpu_before = server.cpu_seconds()
    state, gate = HoldState(streams), asyncio.Semaphore(STARTING_AT_ONCE)
    ramp_started = time.monotonic()
    tasks = [
        asyncio.create_task(hold_one(server.port, i, expected, gate, state)) for i in range(streams)
    ]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(state.all_open.wait(), timeout=expected)
    ramp_s = time.monotonic() - ramp_started
    open_now, rss_full, fds_full = state.open, rss_bytes(server.pid), _fds(server.pid)
    held_ttft = await probes(server.port, probe_count, "held")
    _, pending = await asyncio.wait(tasks, timeout=expected + 60)
    for task in pending:
        task.cancel()
        state.fail("still open at the deadline")
    cpu = server.cpu_seconds() - cpu_before
    per_stream = (rss_full - rss_before) / open_now if open_now else None
    return {
        "streams": streams,
        "tokens_per_second": 1.0,
        "hold_tokens": expected,
        "ramp_s": round(ramp_s, 1),
        "open_after_ramp": open_now,
        "peak_open": state.peak_open,
        "errors": state.errors,
        "error_examples": state.error_examples,
        "rss_before_mb": round(rss_before / 2**20, 1),
        "rss_held_mb": round(rss_full / 2**20, 1),
        "peak_rss_mb": round(peak_rss_bytes(server.pid) / 2**20, 1),
        "kb_per_stream": None if per_stream is None else round(per_stream / 1024, 1),
        "fds_before": fds_before,
        "fds_held": fds_full,
        "ttft_idle_ms": summary(idle_ttft),
        "ttft_held_ms": summary(held_ttft),
        "cpu_ms_per_token": round(cpu * 1000 / state.tokens, 3) if state.tokens else None,
    }


def bare_sdk_hold(base_url: str, streams: int, hold_s: int) -> dict[str, Any]:
    """The same N streams held by bare `Runner.run_streamed` in a fresh process."""
    command = [sys.executable, "-m", "bench", "hold-sdk", base_url, str(streams)]
    command += ["--deadline", str(hold_s)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=hold_s + 60)
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, ValueError, IndexError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}


def run_holding(
    options: Options, workdir: Path, run_async: RunAsync[Any], log: Callable[[str], None]
) -> dict[str, Any]:
    """The holding phase against a fresh provider (1 token/s) and a fresh ChatWait."""
    expected = hold_tokens(options.holding)
    with (
        sim_server(
            workdir, ttft_ms=options.ttft_ms, tokens_per_second=1.0, answer_tokens=expected
        ) as sim,
        chatwait_server(workdir, sim=sim, database_url=options.database_url) as server,
    ):
        result = run_async(lambda: hold(server, options.holding, options.holding_probes, expected))
        result["bare_sdk"] = bare_sdk_hold(f"{sim.base_url}/v1", options.holding, expected)
    log(
        f"holding: {result['open_after_ramp']} open after {result['ramp_s']} s, "
        f"errors {result['errors']}, {result['kb_per_stream']} KB/stream, "
        f"TTFT p99 idle {result['ttft_idle_ms']['p99']} ms held {result['ttft_held_ms']['p99']} ms"
    )
    return result

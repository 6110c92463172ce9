"""Open-loop arrivals: turns arrive as a Poisson process while earlier turns stream.

Closed-loop batches (`workloads.py`) start C turns together and wait for all of them, so
a turn's start-up work never lands on tokens already flowing. Here turns arrive at a
fixed mean rate whatever the server does (exponential gaps from a seeded generator, the
same schedule for every arm), each one a stream of one agent; what is reported is what
the users of streams in flight feel: every token's delivery delay, and the new turns'
TTFT. Arms take turns, one period each, rotating per round as in the closed loop; the
CPU an arm used is read around its own periods only, and the server's CPU is also given
per turn (server CPU of the period / turns that arrived in it).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.stats import ArmTotals, TurnSample, percentile
from bench.workloads import IN_PROCESS, Target, arms_for_round, settle


@dataclass(frozen=True)
class OpenLoop:
    rate_per_s: float
    seconds: float
    answer_tokens: int
    rounds: int

    @property
    def name(self) -> str:
        return f"poisson-{self.rate_per_s:g}/s-t{self.answer_tokens}"


def arrival_times(rate_per_s: float, seconds: float, seed: int) -> list[float]:
    """Offsets (s) of arrivals in `[0, seconds)` of a Poisson process of `rate_per_s`."""
    rng, at, times = random.Random(seed), 0.0, []
    while True:
        at += rng.expovariate(rate_per_s)
        if at >= seconds:
            return times
        times.append(at)


async def _period(arm: str, load: OpenLoop, target: Target, totals: ArmTotals, seed: int) -> None:
    """One arm's period: start each turn at its arrival time, then wait for all."""
    fn = target.turn_fn(arm)
    server = target.server_for(arm)
    cpu: Callable[[], float] = time.process_time if arm in IN_PROCESS else server.cpu_seconds
    schedule = arrival_times(load.rate_per_s, load.seconds, seed)
    paced = target.ttft_ms / 1000 + load.answer_tokens / target.tokens_per_second
    before, began = cpu(), time.perf_counter()
    tasks: list[asyncio.Task[Any]] = []
    for n, offset in enumerate(schedule):
        delay = began + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # the arrival process itself: the input under test
        tasks.append(asyncio.create_task(fn(1, f"bench {load.name} turn {n}")))
    done: set[asyncio.Task[Any]] = set()
    if tasks:
        done, pending = await asyncio.wait(tasks, timeout=60 + 3 * paced)
        for task in pending:
            task.cancel()
    wall = time.perf_counter() - began
    await settle(server)
    totals.cpu_s += cpu() - before
    totals.wall_s += wall
    for task in tasks:
        if task in done:
            totals.add(task.result(), load.answer_tokens)
        else:
            totals.add(TurnSample([], wall * 1000, "period timeout"), load.answer_tokens)


async def run_open_loop(load: OpenLoop, target: Target, *, seed: int = 20261202) -> dict[str, Any]:
    """Measure `load` on every arm; the result row of the report.

    The top-level figures are the first ChatWait arm's; with several ChatWait arms,
    `by_chatwait_arm` has them for each.
    """
    arms = ("direct", "sdk", *target.stream_arms)
    totals = {arm: ArmTotals() for arm in arms}
    for index in range(load.rounds):
        for arm in arms_for_round(index, arms, 1):
            await _period(arm, load, target, totals[arm], seed + index)
    results = {arm: totals[arm].result() for arm in arms}
    per_arm = {arm: _versus(totals, arm) for arm in target.stream_arms}
    row = {
        "workload": load.name,
        "rate_per_s": load.rate_per_s,
        "seconds": load.seconds,
        "answer_tokens": load.answer_tokens,
        "rounds": load.rounds,
        "arms": results,
        **per_arm[target.stream_arms[0]],
    }
    if len(per_arm) > 1:
        for arm, figures in per_arm.items():
            sdk, ours = results["sdk"]["cpu_ms_per_token"], results[arm]["cpu_ms_per_token"]
            figures["cpu_ratio_stream_to_sdk"] = round(ours / sdk, 2) if sdk and ours else None
        row["by_chatwait_arm"] = per_arm
    return row


def _versus(totals: dict[str, ArmTotals], arm: str) -> dict[str, float | None]:
    stream, direct, sdk = totals[arm], totals["direct"], totals["sdk"]
    per_turn = stream.cpu_s * 1000 / stream.turns if stream.turns else None
    return {
        "delay_added_p99_ms": _added(stream.delay_ms, direct.delay_ms),
        "ttft_added_p99_ms": _added(stream.ttft_ms, direct.ttft_ms),
        "delay_added_over_sdk_p99_ms": _added(stream.delay_ms, sdk.delay_ms),
        "server_cpu_ms_per_turn": None if per_turn is None else round(per_turn, 2),
    }


def _added(ours: list[float], theirs: list[float]) -> float | None:
    a, b = percentile(ours, 99), percentile(theirs, 99)
    return None if a is None or b is None else round(a - b, 2)

"""One workload, measured every way in one run: rounds of batches, the arms interleaved.

A round runs one batch per arm (C concurrent turns of A agents each), the arm order
rotating from round to round, so a slow moment of the machine lands on every arm alike.
Batches never overlap: the CPU an arm used is read around its own batches only, from
this process for the in-process arms (`direct`, `sdk`) and from ChatWait's /proc entry for
the ChatWait arms, after ChatWait has gone idle (it finalizes a turn after `turn_done`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.arms import ChatWaitArms, ProviderArms, TurnFn
from bench.procs import Server, machine_busy_seconds, peak_rss_bytes, reset_peak_rss
from bench.specs import SINGLE_ARM
from bench.stats import ArmTotals, TurnSample, percentile

IN_PROCESS = frozenset({"direct", "sdk"})
SETTLE_POLL_S = 0.03
SETTLE_MAX_S = 3.0


@dataclass(frozen=True)
class Workload:
    concurrency: int
    agents: int
    answer_tokens: int
    rounds: int

    @property
    def name(self) -> str:
        return f"c{self.concurrency}-a{self.agents}-t{self.answer_tokens}"


@dataclass
class Target:
    """What the arms talk to, and the pace of the provider.

    `chatwait`/`server` is the first ChatWait server (the `wait` arm's); `streams` maps
    every ChatWait streaming arm to its client and server (default: `stream`, the first).
    """

    provider: ProviderArms
    chatwait: ChatWaitArms
    server: Server
    sim: Server
    ttft_ms: float
    tokens_per_second: float
    streams: dict[str, tuple[ChatWaitArms, Server]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.streams:
            self.streams = {SINGLE_ARM: (self.chatwait, self.server)}

    @property
    def stream_arms(self) -> tuple[str, ...]:
        return tuple(self.streams)

    @property
    def servers(self) -> list[Server]:
        return [server for _, server in self.streams.values()]

    @property
    def arms(self) -> tuple[str, ...]:
        """Every arm of a closed-loop workload: `direct`, `sdk`, each ChatWait arm, `wait`."""
        return ("direct", "sdk", *self.stream_arms, "wait")

    def server_for(self, arm: str) -> Server:
        """The server whose CPU an arm's batches are charged (and settled) against."""
        return self.streams[arm][1] if arm in self.streams else self.server

    def turn_fn(self, arm: str) -> TurnFn:
        if arm in self.streams:
            return self.streams[arm][0].stream
        return {
            "direct": self.provider.direct,
            "sdk": self.provider.sdk,
            "wait": self.chatwait.wait,
        }[arm]


async def settle(server: Server) -> None:
    """Until the server's CPU time stops moving (bounded): its leftover work is done."""
    deadline = time.monotonic() + SETTLE_MAX_S
    last = server.cpu_seconds()
    while time.monotonic() < deadline:
        await asyncio.sleep(SETTLE_POLL_S)
        now = server.cpu_seconds()
        if now == last:
            return
        last = now


def batch_timeout(workload: Workload, target: Target) -> float:
    """Generous bound on one batch: paced time, plus CPU-bound slack, plus a minute."""
    paced = target.ttft_ms / 1000 + workload.answer_tokens / target.tokens_per_second
    tokens = workload.concurrency * workload.agents * workload.answer_tokens
    return 60.0 + 3 * paced + tokens * 0.005


async def run_batch(
    fn: TurnFn, workload: Workload, tag: str, limit_s: float
) -> tuple[list[TurnSample], float]:
    """C concurrent turns; (samples, wall seconds). Turns past `limit_s` are errors."""
    started = time.perf_counter()
    tasks = [
        asyncio.create_task(fn(workload.agents, f"bench {tag} turn {i}"))
        for i in range(workload.concurrency)
    ]
    done, pending = await asyncio.wait(tasks, timeout=limit_s)
    for task in pending:
        task.cancel()
    wall = time.perf_counter() - started
    samples = [t.result() for t in tasks if t in done]
    samples += [TurnSample([], limit_s * 1000, "batch timeout") for _ in pending]
    return samples, wall


async def measure_batch(
    arm: str, workload: Workload, target: Target, totals: ArmTotals, tag: str
) -> None:
    server = target.server_for(arm)
    cpu: Callable[[], float] = time.process_time if arm in IN_PROCESS else server.cpu_seconds
    before = cpu()
    samples, wall = await run_batch(
        target.turn_fn(arm), workload, tag, batch_timeout(workload, target)
    )
    await settle(server)
    totals.cpu_s += cpu() - before
    totals.wall_s += wall
    for sample in samples:
        totals.add(sample, workload.answer_tokens)


def arms_for_round(index: int, arms: tuple[str, ...], wait_every: int) -> list[str]:
    """The arms of round `index`, rotated; `wait` only every `wait_every` rounds."""
    chosen = [a for a in arms if a != "wait" or index % wait_every == 0]
    shift = index % len(chosen)
    return chosen[shift:] + chosen[:shift]


def _our_cpu(target: Target) -> float:
    """CPU of the benchmark's processes: this one, every ChatWait and the provider."""
    servers = sum(server.cpu_seconds() for server in target.servers)
    return time.process_time() + servers + target.sim.cpu_seconds()


def _diff(a: list[float], b: list[float]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for p in (50, 95, 99):
        x, y = percentile(a, p), percentile(b, p)
        out[f"p{p}"] = None if x is None or y is None else round(x - y, 2)
    return out


def versus_provider(totals: dict[str, ArmTotals], arm: str) -> dict[str, Any]:
    """A ChatWait arm against `direct` and `sdk` of the same rounds."""
    stream, direct, sdk = totals[arm], totals["direct"], totals["sdk"]
    sdk_cpu, cw_cpu = sdk.result()["cpu_ms_per_token"], stream.result()["cpu_ms_per_token"]
    return {
        "ttft_diff_ms": {
            "stream_minus_direct": _diff(stream.ttft_ms, direct.ttft_ms),
            "stream_minus_sdk": _diff(stream.ttft_ms, sdk.ttft_ms),
        },
        "delay_diff_ms": {
            "stream_minus_direct": _diff(stream.delay_ms, direct.delay_ms),
            "stream_minus_sdk": _diff(stream.delay_ms, sdk.delay_ms),
        },
        "cpu_ratio_stream_to_sdk": round(cw_cpu / sdk_cpu, 2) if sdk_cpu and cw_cpu else None,
    }


async def run_workload(
    workload: Workload,
    target: Target,
    *,
    arms: tuple[str, ...] | None = None,
    wait_every: int = 2,
) -> dict[str, Any]:
    """Measure `workload` every way (default: `target.arms`); the result row of the report.

    The top-level comparisons (`ttft_diff_ms`, `delay_diff_ms`, `cpu_ratio_stream_to_sdk`,
    `chatwait_peak_rss_mb`) are the first ChatWait arm's; with several ChatWait arms,
    `by_chatwait_arm` has the same figures for each.
    """
    arms = target.arms if arms is None else arms
    totals = {arm: ArmTotals() for arm in arms}
    peak_window = all([reset_peak_rss(server.pid) for server in target.servers])
    ours = _our_cpu(target)
    busy, began = machine_busy_seconds(), time.monotonic()
    for index in range(workload.rounds):
        for arm in arms_for_round(index, arms, wait_every):
            await measure_batch(arm, workload, target, totals[arm], f"{workload.name} r{index}")
    wall = time.monotonic() - began
    others = (machine_busy_seconds() - busy) - (_our_cpu(target) - ours)
    results = {arm: totals[arm].result() for arm in arms}
    peaks = {
        arm: round(peak_rss_bytes(server.pid) / 2**20, 1)
        for arm, (_, server) in target.streams.items()
    }
    row: dict[str, Any] = {
        "workload": workload.name,
        "concurrency": workload.concurrency,
        "agents": workload.agents,
        "answer_tokens": workload.answer_tokens,
        "rounds": workload.rounds,
        "arms": results,
        "chatwait_peak_rss_mb": round(peak_rss_bytes(target.server.pid) / 2**20, 1),
        "peak_rss_is_per_workload": peak_window,
        "wall_s": round(wall, 1),
        "other_processes_cores": round(max(0.0, others) / wall, 2) if wall else None,
    }
    measured = [a for a in target.stream_arms if a in arms]
    if measured and {"direct", "sdk"} <= set(arms):
        per_arm = {a: versus_provider(totals, a) for a in measured}
        row.update(per_arm[measured[0]])
        if len(target.streams) > 1:
            row["by_chatwait_arm"] = {
                a: {**per_arm[a], "chatwait_peak_rss_mb": peaks[a]} for a in measured
            }
    return row

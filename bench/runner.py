"""`python -m bench run`: every phase in order, each with processes of its own.

Load phases (one per answer length): a fresh offline provider and a fresh ChatWait (one
per `--chatwait-arms` spec, each its own arm), a warm-up, then every workload. Then the
holding phase (a provider at 1 token/s) and the persistence phase (in-process, against
SQLite and Postgres). Results go to one JSON file and a markdown table beside it;
progress goes to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from bench.arms import ChatWaitArms, ProviderArms
from bench.holding import run_holding
from bench.open_loop import OpenLoop, run_open_loop
from bench.options import Options
from bench.persistence import run_persistence
from bench.procs import Server, chatwait_server, raise_fd_limit, sim_server
from bench.report import markdown
from bench.specs import ChatWaitSpec, chatwait_specs, delete_keys, stream_arms
from bench.stats import per_turn_cpu
from bench.workloads import Target, Workload, run_workload

T = TypeVar("T")
WARMUP = Workload(concurrency=4, agents=2, answer_tokens=0, rounds=1)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    """Run on uvloop when installed, the loop ChatWait itself runs on under uvicorn."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(factory())  # type: ignore[arg-type]
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(factory())  # type: ignore[arg-type]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import os

    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "fd_limit": raise_fd_limit(),
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
    }


@contextlib.contextmanager
def profiling(server: Server, out: Path | None, name: str, native: bool = False) -> Iterator[None]:
    """py-spy samples `server` for the block (raw collapsed stacks), when asked to."""
    if out is None:
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.txt"
    spy = subprocess.Popen(
        [
            "py-spy",
            "record",
            "--pid",
            str(server.pid),
            "--rate",
            "200",
            "--format",
            "raw",
            # --native needs to stop the process to unwind C stacks (not --nonblocking)
            *(["--native"] if native else ["--nonblocking"]),
            "-o",
            str(path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(2)
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            spy.kill()
        log(f"profile of {name} in {path}")


def specs(options: Options) -> list[ChatWaitSpec]:
    """The ChatWait servers of the run's load phases, one per arm."""
    return chatwait_specs(options.chatwait_arms, options.provider_client, options.redis_url)


@contextlib.contextmanager
def chatwait_servers(
    options: Options, workdir: Path, sim: Server
) -> Iterator[dict[str, tuple[ChatWaitArms, Server]]]:
    """One ChatWait per spec, all against `sim`, each in a directory (database) of its own
    when there are several; their Redis keys are deleted after."""
    chosen = specs(options)
    with contextlib.ExitStack() as stack:
        servers: dict[str, tuple[ChatWaitArms, Server]] = {}
        for index, spec in enumerate(chosen):
            env = spec.env(index)
            if "REDIS_KEY_PREFIX" in env:
                url, prefix = spec.redis_url, env["REDIS_KEY_PREFIX"]
                stack.callback(lambda u=url, p=prefix: _forget(u, p))
            home = workdir if len(chosen) == 1 else workdir / spec.arm.replace(":", "-")
            server = stack.enter_context(
                chatwait_server(home, sim=sim, database_url=options.database_url, extra_env=env)
            )
            servers[spec.arm] = (ChatWaitArms(server.port), server)
        yield servers


def _forget(redis_url: str, prefix: str) -> None:
    try:
        log(f"deleted {delete_keys(redis_url, prefix)} Redis keys under {prefix}")
    except Exception as exc:  # noqa: BLE001 - cleanup: the results stand without it
        log(f"could not delete Redis keys under {prefix}: {exc}")


def load_phase(
    options: Options, answer_tokens: int, workdir: Path, *, open_loop: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every workload at one answer length, against fresh servers; with `open_loop` the
    open-loop arrivals too. (closed-loop rows, open-loop rows)"""
    rows: list[dict[str, Any]] = []
    open_rows: list[dict[str, Any]] = []
    with (
        sim_server(
            workdir,
            ttft_ms=options.ttft_ms,
            tokens_per_second=options.tokens_per_second,
            answer_tokens=answer_tokens,
        ) as sim,
        chatwait_servers(options, workdir, sim) as streams,
    ):
        chatwait, server = next(iter(streams.values()))

        async def measure() -> None:
            provider = ProviderArms(f"{sim.base_url}/v1")
            target = Target(
                provider,
                chatwait,
                server,
                sim,
                options.ttft_ms,
                options.tokens_per_second,
                streams,
            )
            try:
                warm = Workload(WARMUP.concurrency, WARMUP.agents, answer_tokens, 1)
                await run_workload(warm, target)
                # After the warm-up: one-time work (pydantic's deferred model builds,
                # first statements compiled) is no part of the steady state profiled.
                with contextlib.ExitStack() as profiles:
                    for arm, (_, each) in streams.items():
                        suffix = "" if len(streams) == 1 else "-" + arm.split(":", 1)[1]
                        profiles.enter_context(
                            profiling(
                                each, options.profile_dir, name + suffix, options.profile_native
                            )
                        )
                    for workload in options.workloads(answer_tokens):
                        started = time.monotonic()
                        row = await run_workload(workload, target, wait_every=options.wait_every)
                        rows.append(row)
                        elapsed = time.monotonic() - started
                        log(f"{workload.name}: {_progress(row)} ({elapsed:.0f} s)")
                    for rate in options.open_loop_rates if open_loop else ():
                        load = OpenLoop(
                            rate, options.open_loop_seconds, answer_tokens, options.open_loop_rounds
                        )
                        open_rows.append(await run_open_loop(load, target))
                        log(
                            f"{load.name}: added delivery p99 "
                            f"{open_rows[-1]['delay_added_p99_ms']} ms, server CPU/turn "
                            f"{open_rows[-1]['server_cpu_ms_per_turn']} ms"
                        )
            finally:
                await provider.close()

        name = f"chatwait-t{answer_tokens}"
        run_async(measure)
    return rows, open_rows


def _progress(row: dict[str, Any]) -> str:
    arms = row["arms"]
    shown = ("direct", "sdk", *stream_arms(arms))
    ttft = " ".join(f"{a}={arms[a]['ttft_ms']['p99']}" for a in shown)
    errors = sum(arm["errors"] for arm in arms.values())
    per_arm = row.get("by_chatwait_arm")
    ratio = (
        " ".join(f"{a}={v['cpu_ratio_stream_to_sdk']}" for a, v in per_arm.items())
        if per_arm
        else row.get("cpu_ratio_stream_to_sdk")
    )
    return (
        f"TTFT p99 {ttft} ms, errors {errors}, cpu ratio {ratio}, "
        f"other processes {row['other_processes_cores']} cores"
    )


def run(options: Options, command: str) -> dict[str, Any]:
    """Every phase; writes `options.out` (JSON) and its `.md`, returns the results."""
    started = time.monotonic()
    # The load generator's own full collections (the SDK and openai make a large heap)
    # would land on whichever arm runs then: keep them small, as ChatWait does.
    gc.collect()
    gc.freeze()
    results: dict[str, Any] = {
        "command": command,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "options": {
            "concurrency": list(options.concurrency),
            "agents": list(options.agents),
            "answer_tokens": list(options.answer_tokens),
            "tokens_per_second": options.tokens_per_second,
            "ttft_ms": options.ttft_ms,
            "samples": options.samples,
            "database": options.database_url or "sqlite (default)",
            "provider_client": options.provider_client or "default",
            "event_log": "redis" if options.redis_url else "memory",
        },
        "workloads": [],
        "open_loop": [],
    }
    if options.chatwait_arms:
        results["options"]["chatwait_arms"] = {s.arm: s.describe() for s in specs(options)}
    with tempfile.TemporaryDirectory(prefix="chatwait-bench-") as tmp:
        workdir = Path(tmp)
        for position, answer_tokens in enumerate(options.answer_tokens):
            log(f"load phase: answers of {answer_tokens} tokens")
            rows, open_rows = load_phase(
                options, answer_tokens, workdir / f"t{answer_tokens}", open_loop=position == 0
            )
            results["workloads"] += rows
            results["open_loop"] += open_rows
        arms = [spec.arm for spec in specs(options)]
        results["per_turn_cpu"] = per_turn_cpu(results["workloads"], arms[0])
        if len(arms) > 1:
            results["per_turn_cpu_by_arm"] = {
                a: per_turn_cpu(results["workloads"], a) for a in arms
            }
        if options.holding:
            log(f"holding phase: {options.holding} streams at 1 token/s")
            results["holding"] = run_holding(options, workdir / "holding", run_async, log)
        if options.persistence_turns:
            log("persistence phase")
            results["persistence"] = run_persistence(options, workdir / "persistence", run_async)
    results["duration_s"] = round(time.monotonic() - started, 1)
    results["machine"]["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    write(results, options.out)
    log(f"done in {results['duration_s']} s: {options.out} and {options.out.with_suffix('.md')}")
    return results


def write(results: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(results))

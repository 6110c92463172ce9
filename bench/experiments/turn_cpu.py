"""Server CPU per turn, turns one after another, as the turns held in memory grow.

`uv run python -m bench.experiments.turn_cpu [--warm 1000] [--turns 500] [--agents 1]
[--answer-tokens 2] [--profile DIR]`

One ChatWait server (SQLite, memory event log) against the offline provider answering at
once with a few tokens, so what is measured is a turn's fixed cost: the HTTP request and
SSE response, validation, the transactions, the SDK's per-run set-up, the turn's tasks.
`--warm` turns run first (the event log keeps finished turns for resumes, up to
`EVENT_LOG_MAX_TURNS`), then the server's CPU (from /proc) is read over `--turns` more
streamed turns, one at a time. Figures go to docs/benchmarks.md. `--profile DIR` samples
the measured turns with py-spy (read with `python -m bench profile FILE`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.arms import chat_body
from bench.experiments._results import write_results
from bench.procs import chatwait_server, cpu_seconds, sim_server
from bench.runner import profiling
from bench.wire import stream_sse


async def _turns(port: int, count: int, agents: int) -> None:
    """`count` streamed turns one after another; each must end with `turn_done`."""
    for index in range(count):
        last = None
        async for event in stream_sse(port, "/chat/streaming", chat_body(agents, f"T {index}")):
            last = event.event
        if last != "turn_done":
            raise RuntimeError(f"turn {index} ended with {last!r}, not turn_done")


def run(
    warm: int, turns: int, agents: int, answer_tokens: int, profile: Path | None = None
) -> dict[str, Any]:
    """Start the provider and ChatWait, warm it up, and read its CPU over `turns`."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        sim_dir, server_dir = Path(tmp) / "sim", Path(tmp) / "chatwait"
        with (
            sim_server(
                sim_dir, ttft_ms=0, tokens_per_second=1000, answer_tokens=answer_tokens
            ) as sim,
            chatwait_server(server_dir, sim=sim) as server,
        ):
            asyncio.run(_turns(server.port, warm, agents))
            before = cpu_seconds(server.pid)
            with profiling(server, profile, "turn-cpu", native=True):
                clock = time.perf_counter()
                asyncio.run(_turns(server.port, turns, agents))
                wall = time.perf_counter() - clock
                cpu = cpu_seconds(server.pid) - before
    return {
        "command": "uv run python -m bench.experiments.turn_cpu " + " ".join(sys.argv[1:]),
        "warm": warm,
        "turns": turns,
        "agents": agents,
        "answer_tokens": answer_tokens,
        "cpu_ms_per_turn": round(cpu / turns * 1000, 2),
        "wall_ms_per_turn": round(wall / turns * 1000, 2),
        "seconds": round(time.monotonic() - started, 1),
    }


def markdown(result: dict[str, Any]) -> str:
    return (
        "### Server CPU per turn (turns one at a time)\n\n"
        f"`{result['command']}` ({result['seconds']} s)\n\n"
        "| turns before | turns measured | agents | tokens | server CPU ms/turn | wall ms/turn |\n"
        "|---|---|---|---|---|---|\n"
        f"| {result['warm']} | {result['turns']} | {result['agents']} | "
        f"{result['answer_tokens']} | {result['cpu_ms_per_turn']} | "
        f"{result['wall_ms_per_turn']} |\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.experiments.turn_cpu", description=__doc__
    )
    parser.add_argument("--warm", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--agents", type=int, default=1)
    parser.add_argument("--answer-tokens", type=int, default=2)
    parser.add_argument("--out", type=Path, help="results JSON (markdown beside it)")
    parser.add_argument("--profile", type=Path, help="write py-spy raw stacks to this directory")
    args = parser.parse_args(argv)
    result = run(args.warm, args.turns, args.agents, args.answer_tokens, args.profile)
    write_results(result, args.out, "turn-cpu", markdown)


if __name__ == "__main__":
    main()

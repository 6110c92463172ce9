"""Where a streamed turn's time to first token goes, stage by stage (wall clock, ms).

`uv run python -m bench.experiments.start_path [--warm 50] [--turns 300] [--agents 1]`

One ChatWait server (SQLite, memory event log, its default limits) against the offline
provider answering at once (upstream TTFT 0, 2 tokens), turns one at a time. The server
runs under `start_path_server`, which stamps each stage of a turn's start (admitted,
provider request out and its response headers in, the rows' insert begun and committed,
`turn_started` logged, the first text from the provider and its frame written), in ms
from `TurnService.start`. Prints p50 and p90 per stage; figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.experiments._results import write_results
from bench.experiments.turn_cpu import _turns
from bench.procs import chatwait_server, sim_server

REPO = str(Path(__file__).resolve().parents[2])


def run(warm: int, turns: int, agents: int) -> dict[str, Any]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        stamps = Path(tmp) / "stamps.jsonl"
        stamps.touch()
        env = {"START_PATH_OUT": str(stamps), "PYTHONPATH": REPO}
        with (
            sim_server(
                Path(tmp) / "sim", ttft_ms=0, tokens_per_second=1000, answer_tokens=2
            ) as sim,
            chatwait_server(
                Path(tmp) / "chatwait",
                sim=sim,
                module="bench.experiments.start_path_server",
                extra_env=env,
            ) as server,
        ):
            asyncio.run(_turns(server.port, warm, agents))
            skip = len(stamps.read_text().splitlines())
            asyncio.run(_turns(server.port, turns, agents))
        rows = [json.loads(line) for line in stamps.read_text().splitlines()[skip:]]
    stages: dict[str, dict[str, float]] = {}
    for name in sorted(
        {k for row in rows for k in row},
        key=lambda k: statistics.median(row[k] for row in rows if k in row),
    ):
        values = sorted(row[name] for row in rows if name in row)
        stages[name] = {
            "p50": round(statistics.median(values), 3),
            "p90": round(values[int(len(values) * 0.9)], 3),
        }
    return {
        "command": "uv run python -m bench.experiments.start_path " + " ".join(sys.argv[1:]),
        "warm": warm,
        "turns": len(rows),
        "agents": agents,
        "stages": stages,
        "seconds": round(time.monotonic() - started, 1),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "### A turn's start-up path, stage by stage (upstream TTFT 0)\n",
        f"`{result['command']}` ({result['turns']} turns, {result['seconds']} s)\n",
        "| stage (ms after `TurnService.start`) | p50 | p90 |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {v['p50']} | {v['p90']} |" for name, v in result["stages"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.experiments.start_path", description=__doc__
    )
    parser.add_argument("--warm", type=int, default=50)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--agents", type=int, default=1)
    parser.add_argument("--out", type=Path, help="results JSON (markdown beside it)")
    args = parser.parse_args(argv)
    result = run(args.warm, args.turns, args.agents)
    write_results(result, args.out, "start-path", markdown)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

"""How much later a reader on another replica sees each event than one on the owner.

`uv run python -m bench.experiments.replica_delay [--turns 40] [--concurrency 4]
[--agents 2] [--answer-tokens 60] [--tokens-per-second 50] [--out FILE]`

Two ChatWait replicas share a throwaway Postgres database and one Redis key prefix (as
`REDIS_URL` deployments run), both against one offline provider. Each turn is started on
replica A (`POST /chat/streaming`, a reader on the owner, served from A's memory); once
its `turn_started` arrives, replica B is asked for the same turn (`GET
/chat/streaming/{id}`, a reader on another replica, served from Redis). Both readers run
in this one client process and stamp each event when its bytes arrive. For every event
both saw after B's stream had caught up (B's first event arrived), the delay is B's
arrival minus A's. The issue-15 target: ≤ 100 ms. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.arms import chat_body
from bench.experiments._results import write_results
from bench.options import POSTGRES_ADMIN_URL
from bench.persistence import postgres_database
from bench.procs import chatwait_server, sim_server
from bench.specs import delete_keys
from bench.stats import percentile
from bench.wire import SseEvent, stream_sse

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _owner_turn(port_a: int, port_b: int, agents: int, index: int) -> list[float]:
    """One turn: its events' arrival delays (ms) at B's reader after A's."""
    at_owner: dict[str, int] = {}
    at_other: dict[str, int] = {}
    other_task: asyncio.Task[None] | None = None

    other_events: list[SseEvent] = []

    async def follow_other(turn_id: str) -> None:
        async for event in stream_sse(port_b, f"/chat/streaming/{turn_id}", None, method="GET"):
            other_events.append(event)
            _stamp(at_other, event)

    body = chat_body(agents, f"Replica delay {index}")
    async for event in stream_sse(port_a, "/chat/streaming", body):
        _stamp(at_owner, event)
        if event.event == "turn_started" and other_task is None:
            turn_id = json.loads(event.data)["turn_id"]
            other_task = asyncio.create_task(follow_other(turn_id))
    if other_task is not None:
        await other_task
    if len(at_other) != len(at_owner):
        raise RuntimeError(
            f"turn {index}: owner saw {len(at_owner)} events, other {len(at_other)}: "
            + "; ".join(f"{e.id} {e.event} {e.data[:200]}" for e in other_events)
        )
    caught_up = min(at_other.values())
    return [
        (at_other[seq] - arrived) / 1000
        for seq, arrived in at_owner.items()
        if arrived >= caught_up
    ]


def _stamp(seen: dict[str, int], event: SseEvent) -> None:
    if event.id is not None:
        if event.id in seen:
            raise RuntimeError(f"event {event.id} delivered twice")
        seen[event.id] = event.arrived_us


async def _measure(
    port_a: int, port_b: int, turns: int, concurrency: int, agents: int
) -> list[float]:
    delays: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            delays.extend(await _owner_turn(port_a, port_b, agents, index))

    await asyncio.gather(*(one(i) for i in range(turns)))
    return delays


def run(
    turns: int, concurrency: int, agents: int, answer_tokens: int, tokens_per_second: float,
    postgres_admin_url: str, redis_url: str,
) -> dict[str, Any]:  # fmt: skip
    """Start the provider and both replicas, measure, and summarise the delays."""
    prefix = f"chatwait-replica-delay-{uuid.uuid4().hex[:10]}"
    env = {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix}
    started = time.monotonic()
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        stack.callback(delete_keys, redis_url, prefix)
        database_url = stack.enter_context(postgres_database(postgres_admin_url))
        sim = stack.enter_context(
            sim_server(
                Path(tmp) / "sim",
                ttft_ms=100.0,
                tokens_per_second=tokens_per_second,
                answer_tokens=answer_tokens,
            )
        )
        replicas = [
            stack.enter_context(
                chatwait_server(Path(tmp) / name, sim=sim, database_url=database_url, extra_env=env)
            )
            for name in ("a", "b")
        ]
        asyncio.run(_measure(replicas[0].port, replicas[1].port, 2, 2, agents))  # warm-up
        delays = asyncio.run(
            _measure(replicas[0].port, replicas[1].port, turns, concurrency, agents)
        )
    return {
        "command": "uv run python -m bench.experiments.replica_delay " + " ".join(sys.argv[1:]),
        "turns": turns,
        "concurrency": concurrency,
        "agents": agents,
        "answer_tokens": answer_tokens,
        "tokens_per_second": tokens_per_second,
        "events": len(delays),
        "delay_ms": {
            "p50": percentile(delays, 50),
            "p99": percentile(delays, 99),
            "max": max(delays, default=None),
            "min": min(delays, default=None),
        },
        "seconds": round(time.monotonic() - started, 1),
    }


def markdown(result: dict[str, Any]) -> str:
    delay = result["delay_ms"]

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    return (
        "### Delay of a reader on another replica (ms after the owner's reader)\n\n"
        f"`{result['command']}` ({result['seconds']} s)\n\n"
        "| turns | concurrency | agents | tokens | events compared | p50 | p99 | max |\n"
        "|---|---|---|---|---|---|---|---|\n"
        f"| {result['turns']} | {result['concurrency']} | {result['agents']} | "
        f"{result['answer_tokens']} | {result['events']} | {ms(delay['p50'])} | "
        f"{ms(delay['p99'])} | {ms(delay['max'])} |\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.experiments.replica_delay", description=__doc__
    )
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--agents", type=int, default=2)
    parser.add_argument("--answer-tokens", type=int, default=60)
    parser.add_argument("--tokens-per-second", type=float, default=50.0)
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--out", type=Path, help="results JSON (markdown beside it)")
    args = parser.parse_args(argv)
    result = run(
        args.turns, args.concurrency, args.agents, args.answer_tokens,
        args.tokens_per_second, args.postgres_url, args.redis_url,
    )  # fmt: skip
    write_results(result, args.out, "replica-delay", markdown)


if __name__ == "__main__":
    main()

"""`python -m bench.leaderboard [--votes N] [--models K] [--repeat R] [--database URL]`.

The leaderboard's cost at N votes among K models of known strengths (seeded):

1. `standings` alone (the Bradley–Terry fit, intervals, ranks, per-model figures, and the
   style-controlled fit beside it);
2. the server's board (`LeaderboardCache.get`): N votes and their battles stored in a
   migrated database (a temporary SQLite file unless `--database`), read back and fitted,
   cold (cache cleared each time) and warm (cached).

Prints medians and worsts over R runs, and whether the fit's order matches the truth.
See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from chatwait.compare import Battle, Outcome, Side, standings
from chatwait.store import Battle as BattleRow
from chatwait.store import Conversation, Database, Turn, User, Vote
from chatwait.votes import LeaderboardCache


def battles(votes: int, models: int, seed: int = 1) -> tuple[list[Battle], dict[str, float]]:
    """`votes` battles drawn from strengths 0.15 apart, with ties one time in ten; each
    answer has a length and a markdown count (drawn apart from the outcome), so the
    style-controlled fit has covariates to fit."""
    rng = random.Random(seed)
    truth = {f"agent-{i}/model-{i}": 0.15 * i for i in range(models)}
    keys = list(truth)
    drawn = []
    for _ in range(votes):
        a, b = rng.sample(keys, 2)
        p = 1.0 / (1.0 + math.exp(truth[b] - truth[a]))
        roll = rng.random()
        outcome: Outcome = "tie" if roll < 0.1 else ("a" if rng.random() < p else "b")
        drawn.append(
            Battle(
                Side(
                    a,
                    rng.uniform(100, 900),
                    rng.uniform(1000, 9000),
                    rng.uniform(0, 0.01),
                    rng.randint(50, 4000),
                    rng.randint(0, 20),
                ),
                Side(
                    b,
                    rng.uniform(100, 900),
                    rng.uniform(1000, 9000),
                    None,
                    rng.randint(50, 4000),
                    rng.randint(0, 20),
                ),
                outcome,
            )
        )
    return drawn, truth


async def _store(db: Database, drawn: list[Battle]) -> str:
    """One user's votes, each on a turn of its own with one battle, in bulk; returns the
    user id."""
    user_id, conversation_id, now = str(uuid.uuid4()), str(uuid.uuid4()), datetime.now(UTC)
    turns: list[dict[str, Any]] = []
    votes: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for battle in drawn:
        vote_id, turn_id = str(uuid.uuid4()), str(uuid.uuid4())
        turns.append(
            {
                "id": turn_id,
                "conversation_id": conversation_id,
                "message": "bench",
                "status": "done",
                "created_at": now,
                "blind": True,
            }
        )
        votes.append(
            {
                "id": vote_id,
                "turn_id": turn_id,
                "user_id": user_id,
                "kind": "winner",
                "blind": True,
                "counted": True,
                "identity": False,
                "snapshot": [],
                "created_at": now,
            }
        )
        sides = {}
        for name, side in (("a", battle.a), ("b", battle.b)):
            agent, model = side.key.split("/", 1)
            sides |= {
                f"run_{name}": str(uuid.uuid4()),
                f"agent_{name}": agent,
                f"model_{name}": model,
                f"ttft_{name}": side.ttft_ms,
                f"latency_{name}": side.latency_ms,
                f"cost_{name}": side.cost_usd,
                f"length_{name}": side.length,
                f"markdown_{name}": side.markdown,
            }
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "vote_id": vote_id,
                "user_id": user_id,
                "outcome": battle.outcome,
                "blind": True,
                "counted": True,
                "identity": False,
                "created_at": now,
                **sides,
            }
        )
    async with db.session() as session:
        session.add(User(id=user_id, identifier=f"bench-{user_id}"))
        await session.flush()
        session.add(Conversation(id=conversation_id, user_id=user_id, title="bench", meta={}))
        await session.flush()
        for start in range(0, len(votes), 5000):
            await session.execute(insert(Turn), turns[start : start + 5000])
            await session.execute(insert(Vote), votes[start : start + 5000])
            await session.execute(insert(BattleRow), rows[start : start + 5000])
    return user_id


Timings = list[tuple[float, float]]
"""(wall, CPU of this process) per run, in seconds."""


async def _timed(repeat: int, call: Callable[[], Awaitable[Any]]) -> Timings:
    timings = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        await call()
        timings.append((time.perf_counter() - start, time.process_time() - cpu))
    return timings


def _line(what: str, timings: Timings) -> str:
    wall = [t[0] * 1000 for t in timings]
    cpu = [t[1] * 1000 for t in timings]
    return (
        f"{what}: wall median {statistics.median(wall):.0f} ms, worst {max(wall):.0f} ms; "
        f"CPU median {statistics.median(cpu):.0f} ms ({len(timings)} runs)"
    )


async def _server(url: str, drawn: list[Battle], repeat: int) -> None:
    db = Database(url)
    await db.upgrade()
    try:
        start = time.perf_counter()
        user_id = await _store(db, drawn)
        print(f"stored {len(drawn)} votes and battles in {time.perf_counter() - start:.1f} s")
        cache = LeaderboardCache(db=db, min_battles=5, ttl=300)

        async def cold() -> None:
            cache.clear()
            board = await cache.get(scope="me", user_id=user_id, since=None, board="blind")
            assert board.battles == len(drawn)

        async def warm() -> None:
            await cache.get(scope="me", user_id=user_id, since=None, board="blind")

        print(_line("server board, cold (read + fit)", await _timed(repeat, cold)))
        print(_line("server board, cached", await _timed(repeat, warm)))
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.leaderboard", description=__doc__)
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--models", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", help="SQLAlchemy URL of an empty database to fill")
    args = parser.parse_args()
    drawn, truth = battles(args.votes, args.models)
    rows = standings(drawn)

    async def fit() -> None:
        standings(drawn)

    timings = asyncio.run(_timed(args.repeat, fit))
    order = sorted(truth, key=truth.__getitem__, reverse=True)
    order_ok = [row.key for row in rows] == order
    style_ok = [row.key for row in sorted(rows, key=lambda r: -r.style_rating)] == order
    print(_line(f"standings over {args.votes} votes, {args.models} models", timings))
    print(f"order recovered: {order_ok}; style-controlled order recovered: {style_ok}")
    with tempfile.TemporaryDirectory() as directory:
        url = args.database or f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        asyncio.run(_server(url, drawn, args.repeat))


if __name__ == "__main__":
    main()

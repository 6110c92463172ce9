"""`python -m bench.leaderboard [--votes N] [--models K] [--repeat R]`: the leaderboard's cost.

Draws N battles among K models of known strengths (seeded), then times `standings` (the
Bradley–Terry fit, intervals, ranks and per-model figures) R times and prints the median
and the worst, and whether the order of the fit matches the truth. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time

from chatwait.compare import Battle, Outcome, Side, standings


def battles(votes: int, models: int, seed: int = 1) -> tuple[list[Battle], dict[str, float]]:
    """`votes` battles drawn from strengths 0.15 apart, with ties one time in ten."""
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
                Side(a, rng.uniform(100, 900), rng.uniform(1000, 9000), rng.uniform(0, 0.01)),
                Side(b, rng.uniform(100, 900), rng.uniform(1000, 9000), None),
                outcome,
            )
        )
    return drawn, truth


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.leaderboard", description=__doc__)
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--models", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    drawn, truth = battles(args.votes, args.models)
    timings = []
    rows = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        rows = standings(drawn)
        timings.append(time.perf_counter() - start)
    order_ok = [row.key for row in rows] == sorted(truth, key=truth.__getitem__, reverse=True)
    print(
        f"standings over {args.votes} votes, {args.models} models: "
        f"median {statistics.median(timings) * 1000:.0f} ms, worst {max(timings) * 1000:.0f} ms "
        f"({args.repeat} runs); order recovered: {order_ok}"
    )


if __name__ == "__main__":
    main()

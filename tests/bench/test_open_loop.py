"""The open-loop schedule and the per-turn CPU fit, as pure functions."""

from __future__ import annotations

import statistics

from bench.open_loop import arrival_times
from bench.stats import per_turn_cpu


def test_arrivals_are_a_seeded_poisson_process_of_the_asked_rate() -> None:
    times = arrival_times(20.0, 500.0, seed=7)
    assert times == arrival_times(20.0, 500.0, seed=7), "every arm gets the same schedule"
    assert times == sorted(times) and times[0] > 0 and times[-1] < 500.0
    gaps = [b - a for a, b in zip([0.0, *times], times, strict=False)]
    assert abs(len(times) / 500.0 - 20.0) < 1.0, "about 20 arrivals a second"
    assert abs(statistics.mean(gaps) - 0.05) < 0.005
    assert abs(statistics.stdev(gaps) - 0.05) < 0.005, "exponential gaps: sd equals the mean"


def _row(concurrency: int, agents: int, tokens: int, turns: int, cpu_s: float) -> dict:
    return {
        "concurrency": concurrency,
        "agents": agents,
        "answer_tokens": tokens,
        "arms": {"stream": {"turns": turns, "cpu_s": cpu_s}},
    }


def test_per_turn_cpu_splits_a_fixed_part_from_the_per_token_part() -> None:
    # 10 turns of 1 agent: 12 ms a turn plus 0.25 ms a token, at 60 and 200 tokens
    rows = [_row(8, 1, 60, 10, 10 * (12 + 0.25 * 60) / 1000), _row(8, 1, 200, 10, 0.62)]
    rows.append(_row(4, 2, 60, 5, 0.5))  # one length only: nothing to fit
    [fit] = per_turn_cpu(rows)
    assert (fit["concurrency"], fit["agents"]) == (8, 1)
    assert fit["fixed_ms_per_turn"] == 12.0 and fit["ms_per_token"] == 0.25

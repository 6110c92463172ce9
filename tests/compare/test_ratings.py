"""Bradley–Terry against battles drawn from known strengths."""

from __future__ import annotations

import math
import random

import pytest

from chatwait.compare import Battle, Outcome, Side, fit_bradley_terry, names_identity, standings
from chatwait.compare.bradley_terry import BASE, SCALE


def _truth(size: int, spread: float) -> dict[str, float]:
    """Strengths θ, centred, for contestants m0 (weakest) … m{size-1}."""
    raw = [spread * i for i in range(size)]
    mean = sum(raw) / size
    return {f"m{i}": value - mean for i, value in enumerate(raw)}


def _draw(truth: dict[str, float], count: int, rng: random.Random) -> list[Battle]:
    keys = sorted(truth)
    battles = []
    for _ in range(count):
        a, b = rng.sample(keys, 2)
        p = 1.0 / (1.0 + math.exp(truth[b] - truth[a]))
        outcome: Outcome = "a" if rng.random() < p else "b"
        battles.append(Battle(Side(a), Side(b), outcome))
    return battles


def test_the_fit_recovers_the_order_of_known_strengths() -> None:
    truth = _truth(8, 0.4)
    rows = standings(_draw(truth, 8000, random.Random(7)), min_battles=1)
    assert [row.key for row in rows] == sorted(truth, key=truth.__getitem__, reverse=True)
    assert [row.rank for row in rows] == list(range(1, 9))


def test_ratings_land_on_the_truth_in_elo_points() -> None:
    truth = _truth(5, 0.5)
    fit = fit_bradley_terry(_draw(truth, 20000, random.Random(3)))
    for key, theta in truth.items():
        assert fit.rating[key] == pytest.approx(BASE + SCALE * theta, abs=15)


def test_the_95_percent_intervals_cover_the_truth_at_about_the_nominal_rate() -> None:
    rng = random.Random(11)
    covered = total = 0
    for _ in range(60):
        truth = _truth(6, 0.4)
        fit = fit_bradley_terry(_draw(truth, 600, rng))
        for key, theta in truth.items():
            total += 1
            covered += fit.ci_low[key] <= BASE + SCALE * theta <= fit.ci_high[key]
    assert 0.91 <= covered / total <= 0.99, covered / total


def test_ties_and_both_bad_count_as_half_a_win_each() -> None:
    halves = [Battle(Side("x"), Side("y"), "tie"), Battle(Side("y"), Side("x"), "both_bad")] * 20
    fit = fit_bradley_terry(halves)
    assert fit.rating["x"] == pytest.approx(fit.rating["y"], abs=1e-6)
    split = [Battle(Side("x"), Side("y"), o) for o in ("a", "b")] * 20
    assert fit_bradley_terry(split).rating["x"] == pytest.approx(fit.rating["x"], abs=1e-6)
    row = {r.key: r for r in standings(halves, min_battles=1)}["x"]
    assert (row.wins, row.ties, row.losses, row.win_rate) == (0, 40, 0, 0.5)


def test_an_undefeated_model_stays_finite_and_ranks_first() -> None:
    battles = [Battle(Side("best"), Side("rest"), "a")] * 12
    rows = standings(battles, min_battles=1)
    assert rows[0].key == "best" and math.isfinite(rows[0].rating)
    assert rows[0].ci_high > rows[0].rating > rows[0].ci_low


def test_overlapping_intervals_share_a_rank_and_few_battles_are_unranked() -> None:
    rng = random.Random(5)
    close = _draw({"p": 0.01, "q": -0.01}, 100, rng)
    far = [Battle(Side("p"), Side("weak"), "a"), Battle(Side("q"), Side("weak"), "a")] * 40
    rare = [Battle(Side("new"), Side("p"), "a")] * 2
    rows = {r.key: r for r in standings(close + far + rare, min_battles=5)}
    assert rows["p"].rank == rows["q"].rank == 1
    assert rows["weak"].rank == 3
    assert rows["new"].rank is None and rows["new"].battles == 2


def test_the_row_measures_time_and_cost_per_answer_and_per_win() -> None:
    battles = [
        Battle(Side("x", 100, 1000, 0.01), Side("y", 300, 900, None), "a"),
        Battle(Side("x", 200, 3000, 0.03), Side("y", 500, 700, None), "b"),
        Battle(Side("y", 400, 800, None), Side("x", 900, 2000, 0.02), "b"),
    ]
    rows = {r.key: r for r in standings(battles, min_battles=1)}
    x, y = rows["x"], rows["y"]
    assert (x.battles, x.wins, x.losses) == (3, 2, 1)
    assert x.median_ttft_ms == 200 and x.median_latency_ms == 2000
    assert x.mean_cost_usd == pytest.approx(0.02) and x.cost_per_win == pytest.approx(0.03)
    assert y.mean_cost_usd is None and y.cost_per_win is None and y.win_rate == pytest.approx(1 / 3)


def test_no_battles_no_rows() -> None:
    assert standings([]) == []


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("I am ChatGPT, made by OpenAI.", True),
        ("As a model trained by Google (Gemini)", True),
        ("I'm Claude.", True),
        ("GPT-4o says hi", True),
        ("Egypt is a country; the graph is fine.", False),
        ("I am an AI assistant.", False),
    ],
)
def test_identity_words(text: str, named: bool) -> None:
    assert names_identity(text) is named

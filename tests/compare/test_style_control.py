"""Style control: a model that wins only by writing longer answers loses that edge."""

from __future__ import annotations

import math
import random

import pytest

from chatwait.compare import Battle, Outcome, Side, board, count_markdown
from chatwait.compare.bradley_terry import BASE, SCALE

TRUTH = {"m0": 0.6, "m1": 0.3, "m2": 0.0, "m3": -0.3, "verbose": -0.6}
"""True strengths (centred): `verbose` is the weakest, but writes the longest answers."""
LENGTH_EFFECT, MARKDOWN_EFFECT = 3.0, -1.0
"""Log-odds per unit of the normalised difference (a − b) / (a + b + 1)."""


def _draw(count: int, rng: random.Random) -> list[Battle]:
    def length(key: str) -> int:
        return rng.randint(3000, 9000) if key == "verbose" else rng.randint(100, 3000)

    battles = []
    for _ in range(count):
        a, b = rng.sample(sorted(TRUTH), 2)
        la, lb, ma, mb = length(a), length(b), rng.randint(0, 10), rng.randint(0, 10)
        margin = TRUTH[a] - TRUTH[b]
        margin += LENGTH_EFFECT * (la - lb) / (la + lb + 1)
        margin += MARKDOWN_EFFECT * (ma - mb) / (ma + mb + 1)
        outcome: Outcome = "a" if rng.random() < 1.0 / (1.0 + math.exp(-margin)) else "b"
        battles.append(
            Battle(Side(a, length=la, markdown=ma), Side(b, length=lb, markdown=mb), outcome)
        )
    return battles


def test_the_plain_rating_rewards_length_and_the_style_rating_recovers_the_truth() -> None:
    result = board(_draw(20000, random.Random(5)), min_battles=1)
    plain = [row.key for row in result.rows]
    assert plain[0] == "verbose"
    styled = sorted(result.rows, key=lambda row: -row.style_rating)
    assert [row.key for row in styled] == sorted(TRUTH, key=TRUTH.__getitem__, reverse=True)
    assert [row.style_rank for row in styled][-1] == len(TRUTH)
    verbose = next(row for row in result.rows if row.key == "verbose")
    assert verbose.rank == 1 and verbose.style_rank == len(TRUTH)
    for row in result.rows:
        truth = BASE + SCALE * TRUTH[row.key]
        assert row.style_ci_low <= row.style_rating <= row.style_ci_high
        assert row.style_rating == pytest.approx(truth, abs=25)


def test_the_style_intervals_cover_the_truth_at_about_the_nominal_rate() -> None:
    rng = random.Random(13)
    covered = total = 0
    for _ in range(40):
        for row in board(_draw(1500, rng), min_battles=1).rows:
            total += 1
            covered += row.style_ci_low <= BASE + SCALE * TRUTH[row.key] <= row.style_ci_high
    assert 0.9 <= covered / total <= 0.99, covered / total


def test_the_style_coefficients_have_the_sign_of_the_effects() -> None:
    style = board(_draw(20000, random.Random(9)), min_battles=1).style
    assert set(style) == {"length", "markdown"}
    assert style["length"] > 0.5
    assert style["markdown"] < -0.1


def test_without_style_information_both_ratings_agree() -> None:
    rng = random.Random(2)
    battles = []
    for _ in range(3000):
        a, b = rng.sample(sorted(TRUTH), 2)
        p = 1.0 / (1.0 + math.exp(TRUTH[b] - TRUTH[a]))
        battles.append(Battle(Side(a), Side(b), "a" if rng.random() < p else "b"))
    result = board(battles, min_battles=1)
    assert result.style == {"length": 0.0, "markdown": 0.0}
    for row in result.rows:
        assert row.style_rating == pytest.approx(row.rating, abs=1e-6)
        assert row.style_rank == row.rank


def test_an_empty_board_has_no_rows_and_zero_coefficients() -> None:
    result = board([], min_battles=1)
    assert result.rows == [] and result.style == {"length": 0.0, "markdown": 0.0}


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("plain prose, no formatting", 0),
        ("# Title\n\nSome **bold** and __more__.\n\n- one\n- two\n1. first", 6),
        ("```\n# not a header\n- not a list\n```\nafter **bold**", 1),
        ("#hashtag is not a header; a * b * c is not bold", 0),
    ],
)
def test_markdown_counts_headers_lists_and_bold_outside_code(text: str, count: int) -> None:
    assert count_markdown(text) == count

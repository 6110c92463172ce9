"""The leaderboard page's props: what is charted, in which order, on which axes."""

from __future__ import annotations

from typing import Any

from chatwait_ui.leaderboard import leaderboard_props, parse_request


def row(model: str, rating: float, rank: int | None, cost: float | None, **extra: Any) -> dict:
    return {
        "model": model,
        "agent": "offline",
        "rating": rating,
        "ci_low": rating - 50,
        "ci_high": rating + 40,
        "rank": rank,
        "battles": 12,
        "wins": 7,
        "ties": 1,
        "losses": 4,
        "win_rate": 0.625,
        "median_ttft_ms": 100.0,
        "median_latency_ms": 900.0,
        "mean_cost_usd": cost,
        "cost_per_win": None,
        **extra,
    }


BODY = {
    "items": [
        row("mid", 1000.0, 1, 0.002),
        row("new", 1100.0, None, 0.001, battles=2),
        row("top", 1080.0, 1, None),
        row("low", 900.0, 3, 0.0005),
    ],
    "scope": "me",
    "board": "blind",
    "battles": 30,
    "min_battles": 5,
    "computed_at": "2026-12-02T01:00:00Z",
}


def test_ranked_models_are_charted_best_first_and_unranked_ones_only_tabled() -> None:
    props = leaderboard_props(BODY, scope="me", board="blind")
    assert [r["model"] for r in props["ranked"]] == ["top", "mid", "low"]
    assert [r["model"] for r in props["rows"]] == ["top", "mid", "low", "new"]
    top = props["ranked"][0]
    assert (top["rating"], top["ciLow"], top["ciHigh"], top["rank"]) == (1080.0, 1030.0, 1120.0, 1)


def test_the_scatter_has_one_point_per_ranked_model_with_a_price() -> None:
    props = leaderboard_props(BODY, scope="me", board="blind")
    assert [r["model"] for r in props["priced"]] == ["mid", "low"]
    low, high = props["costDomain"]
    assert low == 0.0 and high > 0.002


def test_the_rating_axis_covers_every_interval() -> None:
    props = leaderboard_props(BODY, scope="me", board="blind")
    low, high = props["ratingDomain"]
    assert low < 850 and high > 1120


def test_an_empty_board_still_has_axes_and_says_why() -> None:
    props = leaderboard_props({}, scope="all", board="all", notice="backend down")
    assert props["ranked"] == [] and props["rows"] == [] and props["notice"] == "backend down"
    assert props["ratingDomain"][0] < props["ratingDomain"][1]


def test_the_command_words_pick_scope_and_board() -> None:
    assert parse_request("") == ("me", "blind")
    assert parse_request("all") == ("all", "blind")
    assert parse_request("everyone every vote") == ("all", "all")

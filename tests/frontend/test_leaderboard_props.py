"""The leaderboard page's props: what is charted, in which order, on which axes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chatwait_ui.leaderboard import leaderboard_props, parse_request, since_moment


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


STYLED = {
    **BODY,
    "items": [
        row(
            "verbose",
            1100.0,
            1,
            None,
            style_rating=880.0,
            style_ci_low=840.0,
            style_ci_high=920.0,
            style_rank=2,
        ),
        row(
            "terse",
            950.0,
            2,
            None,
            style_rating=1120.0,
            style_ci_low=1080.0,
            style_ci_high=1160.0,
            style_rank=1,
        ),
    ],
    "style": {"length": 1.56, "markdown": -0.45},
}


def test_each_row_carries_its_style_controlled_rating_and_the_page_the_coefficients() -> None:
    props = leaderboard_props(STYLED, scope="me", board="blind")
    verbose, terse = props["rows"]
    assert (verbose["model"], verbose["rating"], verbose["styleRating"]) == (
        "verbose",
        1100.0,
        880.0,
    )
    assert (verbose["styleCiLow"], verbose["styleCiHigh"], verbose["styleRank"]) == (
        840.0,
        920.0,
        2,
    )
    assert (terse["styleRating"], terse["styleRank"]) == (1120.0, 1)
    assert props["style"] == {"length": 1.56, "markdown": -0.45}


def test_the_rating_axis_covers_the_style_intervals_too() -> None:
    low, high = leaderboard_props(STYLED, scope="me", board="blind")["ratingDomain"]
    assert low < 840 and high > 1160


def test_a_board_without_style_fields_shows_the_plain_rating_in_their_place() -> None:
    props = leaderboard_props(BODY, scope="me", board="blind")
    top = props["ranked"][0]
    assert (top["styleRating"], top["styleCiLow"], top["styleCiHigh"]) == (1080.0, 1030.0, 1120.0)
    assert top["styleRank"] is None
    assert props["style"] == {"length": None, "markdown": None}


def test_the_since_control_offers_all_time_and_the_last_7_and_30_days() -> None:
    props = leaderboard_props(BODY, scope="me", board="blind")
    assert props["since"] == "all"
    assert [c["value"] for c in props["sinceChoices"]] == ["all", "7d", "30d"]
    assert leaderboard_props(BODY, scope="me", board="blind", since="7d")["since"] == "7d"
    assert leaderboard_props(BODY, scope="me", board="blind", since="1y")["since"] == "all"


def test_a_since_choice_names_a_moment_the_backend_reads() -> None:
    now = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    assert since_moment("all", now=now) is None
    assert since_moment("nonsense", now=now) is None
    assert since_moment("7d", now=now) == "2026-11-25T06:00:00+00:00"
    assert since_moment("30d", now=now) == "2026-11-02T06:00:00+00:00"

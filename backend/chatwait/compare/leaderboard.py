"""Standings: ratings, intervals, ranks by interval overlap, and what each answer cost;
beside them the same with style (length, markdown) controlled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from chatwait.compare.battles import Battle
from chatwait.compare.bradley_terry import Fit, fit_bradley_terry
from chatwait.compare.style import fit_style_controlled
from chatwait.compare.table import BattleTable, FloatArray, table_from_battles


@dataclass(frozen=True, slots=True)
class Standing:
    """One contestant's row. `rank` is None below `min_battles`."""

    key: str
    rating: float
    ci_low: float
    ci_high: float
    rank: int | None
    battles: int
    wins: int
    ties: int
    """Ties and "both bad" together (each half a win)."""
    losses: int
    win_rate: float
    """(wins + ties / 2) / battles."""
    median_ttft_ms: float | None
    median_latency_ms: float | None
    mean_cost_usd: float | None
    """Over answers whose cost is known."""
    cost_per_win: float | None
    """Known cost of all its answers over its outright wins; None without a win or a cost."""
    style_rating: float
    """The rating with answer length and markdown as covariates; likewise its interval and
    rank (`style_rank`, by the same overlap rule over the style intervals)."""
    style_ci_low: float
    style_ci_high: float
    style_rank: int | None


@dataclass(frozen=True, slots=True)
class Standings:
    rows: list[Standing]
    """Best first by the plain rating."""
    style: dict[str, float]
    """The fitted style coefficients (`compare.style.FEATURES`), log-odds per RMS."""


def _count(table: BattleTable, a_mask: FloatArray, b_mask: FloatArray) -> list[int]:
    """Per contestant: battles as A where `a_mask`, plus battles as B where `b_mask`."""
    size = len(table.keys)
    counts = np.bincount(table.a, weights=a_mask, minlength=size)
    counts += np.bincount(table.b, weights=b_mask, minlength=size)
    return [int(round(c)) for c in counts]


def _values(table: BattleTable, column: tuple[FloatArray, FloatArray], i: int) -> FloatArray:
    """Contestant i's known values of a measurement, as A and as B."""
    values = np.concatenate((column[0][table.a == i], column[1][table.b == i]))
    known: FloatArray = values[~np.isnan(values)]
    return known


def _median(values: FloatArray) -> float | None:
    return float(np.median(values)) if len(values) else None


def _ranks(fit: Fit, ranked: list[int]) -> dict[str, int]:
    """One plus the ranked contestants whose interval lies wholly above each one's."""
    lows = [fit.ci_low[fit.keys[i]] for i in ranked]
    return {
        fit.keys[i]: 1 + sum(1 for low in lows if low > fit.ci_high[fit.keys[i]]) for i in ranked
    }


def standings(battles: Iterable[Battle] | BattleTable, *, min_battles: int = 5) -> list[Standing]:
    """Rows best first: ranked contestants by rating, then the unranked ones (see `board`)."""
    return board(battles, min_battles=min_battles).rows


def board(battles: Iterable[Battle] | BattleTable, *, min_battles: int = 5) -> Standings:
    """Rows best first: ranked contestants by rating, then the unranked ones, each with its
    style-controlled rating too; and the style coefficients.

    A contestant's rank is one plus the number of ranked contestants whose interval lies
    wholly above its own: contestants whose intervals overlap share a rank.
    """
    table = battles if isinstance(battles, BattleTable) else table_from_battles(battles)
    fit = fit_bradley_terry(table)
    styled = fit_style_controlled(table)
    style = styled.fit
    score = table.score
    won, lost = (score == 1.0).astype(np.float64), (score == 0.0).astype(np.float64)
    half = (score == 0.5).astype(np.float64)
    total = _count(table, np.ones_like(score), np.ones_like(score))
    wins, losses, ties = (
        _count(table, won, lost),
        _count(table, lost, won),
        _count(table, half, half),
    )
    ranked = [i for i, _ in enumerate(fit.keys) if total[i] >= min_battles]
    ranks, style_ranks = _ranks(fit, ranked), _ranks(style, ranked)
    rows = []
    for i, key in enumerate(fit.keys):
        costs = _values(table, table.cost, i)
        spent = float(costs.sum()) if len(costs) else None
        rows.append(
            Standing(
                key=key,
                rating=fit.rating[key],
                ci_low=fit.ci_low[key],
                ci_high=fit.ci_high[key],
                rank=ranks.get(key),
                battles=total[i],
                wins=wins[i],
                ties=ties[i],
                losses=losses[i],
                win_rate=(wins[i] + ties[i] / 2) / total[i],
                median_ttft_ms=_median(_values(table, table.ttft, i)),
                median_latency_ms=_median(_values(table, table.latency, i)),
                mean_cost_usd=spent / len(costs) if spent is not None else None,
                cost_per_win=spent / wins[i] if spent is not None and wins[i] else None,
                style_rating=style.rating[key],
                style_ci_low=style.ci_low[key],
                style_ci_high=style.ci_high[key],
                style_rank=style_ranks.get(key),
            )
        )
    rows.sort(key=lambda row: (row.rank is None, -row.rating, row.key))
    return Standings(rows, styled.coefficients)

"""Standings: ratings, intervals, ranks by interval overlap, and what each answer cost."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from chatwait.compare.battles import Battle, Side
from chatwait.compare.bradley_terry import fit_bradley_terry


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


@dataclass(slots=True)
class _Tally:
    battles: int = 0
    wins: int = 0
    ties: int = 0
    losses: int = 0
    ttft: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)

    def add(self, side: Side, score: float) -> None:
        self.battles += 1
        if score == 1.0:
            self.wins += 1
        elif score == 0.0:
            self.losses += 1
        else:
            self.ties += 1
        if side.ttft_ms is not None:
            self.ttft.append(side.ttft_ms)
        if side.latency_ms is not None:
            self.latency.append(side.latency_ms)
        if side.cost_usd is not None:
            self.costs.append(side.cost_usd)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def standings(battles: Sequence[Battle], *, min_battles: int = 5) -> list[Standing]:
    """Rows best first: ranked contestants by rating, then the unranked ones.

    A contestant's rank is one plus the number of ranked contestants whose interval lies
    wholly above its own: contestants whose intervals overlap share a rank.
    """
    fit = fit_bradley_terry(battles)
    tallies: dict[str, _Tally] = {key: _Tally() for key in fit.keys}
    for battle in battles:
        if battle.a.key == battle.b.key:
            continue
        score = battle.score_a()
        tallies[battle.a.key].add(battle.a, score)
        tallies[battle.b.key].add(battle.b, 1.0 - score)
    ranked = [key for key in fit.keys if tallies[key].battles >= min_battles]
    lows = sorted(fit.ci_low[key] for key in ranked)
    rows = []
    for key in fit.keys:
        tally = tallies[key]
        rank = None
        if tally.battles >= min_battles:
            high = fit.ci_high[key]
            rank = 1 + sum(1 for low in lows if low > high)
        spent = sum(tally.costs) if tally.costs else None
        rows.append(
            Standing(
                key=key,
                rating=fit.rating[key],
                ci_low=fit.ci_low[key],
                ci_high=fit.ci_high[key],
                rank=rank,
                battles=tally.battles,
                wins=tally.wins,
                ties=tally.ties,
                losses=tally.losses,
                win_rate=(tally.wins + tally.ties / 2) / tally.battles,
                median_ttft_ms=_median(tally.ttft),
                median_latency_ms=_median(tally.latency),
                mean_cost_usd=spent / len(tally.costs) if spent is not None else None,
                cost_per_win=spent / tally.wins if spent is not None and tally.wins else None,
            )
        )
    rows.sort(key=lambda row: (row.rank is None, -row.rating, row.key))
    return rows

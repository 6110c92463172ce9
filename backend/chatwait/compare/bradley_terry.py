"""Bradley–Terry: a logistic fit of pairwise outcomes, with closed-form 95 % intervals.

P(i beats j) = 1 / (1 + exp(θj − θi)). Ties and "both bad" count as half a win for each
side. The log-likelihood is maximised by Newton's method on the counts (one K×K system per
step, K = contestants, however many battles), under a weak Gaussian prior (`ridge` = 0.1: a
standard deviation of about 3.2 in θ, 550 rating points) that keeps an undefeated or
winless contestant finite. Intervals are Wald intervals from the observed
information, with the ratings centred (only differences are identified): the inverse of
the information projected off the all-ones direction.

Ratings are on the Elo scale: 1000 + 400·θ/ln 10, so 400 points is 10:1 odds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from chatwait.compare.battles import Battle
from chatwait.compare.table import BattleTable, FloatArray, table_from_battles

BASE = 1000.0
SCALE = 400.0 / math.log(10.0)
Z95 = 1.959963984540054
"""The standard normal's 97.5 % quantile."""


@dataclass(frozen=True, slots=True)
class Fit:
    """Each contestant's rating and its 95 % interval (Elo scale, mean rating `BASE`)."""

    keys: tuple[str, ...]
    rating: dict[str, float]
    ci_low: dict[str, float]
    ci_high: dict[str, float]
    se: dict[str, float]
    iterations: int


def _counts(table: BattleTable) -> tuple[FloatArray, FloatArray]:
    """Per ordered pair (i, j): i's score against j, and the games between them."""
    size = len(table.keys)
    wins = np.zeros((size, size))
    np.add.at(wins, (table.a, table.b), table.score)
    np.add.at(wins, (table.b, table.a), 1.0 - table.score)
    return wins, wins + wins.T


def _objective(theta: FloatArray, wins: FloatArray, games: FloatArray, ridge: float) -> float:
    diff = theta[:, None] - theta[None, :]
    # log σ(d) = −log(1 + e^−d), stably
    log_p = -np.logaddexp(0.0, -diff)
    return float(np.sum(wins * log_p) - 0.5 * ridge * float(theta @ theta))


def fit_bradley_terry(
    battles: Iterable[Battle] | BattleTable, *, ridge: float = 0.1, tolerance: float = 1e-9
) -> Fit:
    """Fit ratings with 95 % intervals to `battles` (a battle of a key against itself is
    skipped)."""
    table = battles if isinstance(battles, BattleTable) else table_from_battles(battles)
    keys = table.keys
    wins, games = _counts(table)
    size = len(keys)
    theta = np.zeros(size)
    iterations = 0
    if size:
        current = _objective(theta, wins, games, ridge)
        for iterations in range(1, 101):  # noqa: B007 - reported in the fit
            p = 1.0 / (1.0 + np.exp(theta[None, :] - theta[:, None]))
            gradient = (wins - games * p).sum(axis=1) - ridge * theta
            information = _information(games, p, ridge)
            step = np.linalg.solve(information, gradient)
            theta, current, moved = newton_step(
                theta, step, current, lambda t: _objective(t, wins, games, ridge)
            )
            if moved < tolerance:
                break
    p = 1.0 / (1.0 + np.exp(theta[None, :] - theta[:, None]))
    covariance: FloatArray = np.zeros((0, 0))
    if size:
        covariance = np.asarray(np.linalg.inv(_information(games, p, ridge)), dtype=np.float64)
    return fit_result(keys, theta, covariance, iterations)


def fit_result(
    keys: tuple[str, ...], theta: FloatArray, covariance: FloatArray, iterations: int
) -> Fit:
    """Ratings and 95 % intervals from strengths `theta` and their covariance, both
    centred first (a rating is relative: only differences are identified)."""
    if len(keys):
        covariance = centred_covariance(covariance)
        theta = theta - theta.mean()
    se = np.sqrt(np.clip(np.diag(covariance), 0.0, None)) * SCALE
    rating = BASE + SCALE * theta
    return Fit(
        keys=keys,
        rating=dict(zip(keys, rating.tolist(), strict=True)),
        ci_low=dict(zip(keys, (rating - Z95 * se).tolist(), strict=True)),
        ci_high=dict(zip(keys, (rating + Z95 * se).tolist(), strict=True)),
        se=dict(zip(keys, se.tolist(), strict=True)),
        iterations=iterations,
    )


def newton_step(
    params: FloatArray, step: FloatArray, current: float, objective: Callable[[FloatArray], float]
) -> tuple[FloatArray, float, float]:
    """Take `step`, halved until the (concave) objective does not fall: Newton can
    overshoot. (new params, their objective, the largest change of a parameter)"""
    scale = 1.0
    while True:
        candidate = params + scale * step
        value = objective(candidate)
        if value >= current - 1e-12 or scale < 1e-6:
            return candidate, value, float(np.max(np.abs(scale * step)))
        scale /= 2.0


def _information(games: FloatArray, p: FloatArray, ridge: float) -> FloatArray:
    """The negative Hessian: a weighted graph Laplacian of the games, plus the prior."""
    weights = games * p * p.T
    laplacian = np.diag(weights.sum(axis=1)) - weights
    result: FloatArray = laplacian + ridge * np.eye(len(games))
    return result


def centred_covariance(covariance: FloatArray) -> FloatArray:
    """Covariance of θ − mean(θ) from that of θ: projected off the ones."""
    size = len(covariance)
    projector = np.eye(size) - np.full((size, size), 1.0 / size)
    result: FloatArray = projector @ covariance @ projector
    return result

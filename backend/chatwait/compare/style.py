"""Style control: Bradley–Terry with answer length and markdown as covariates.

As LMSYS Arena does it (FastChat's `style_control`): each battle carries, per style
feature, the normalised difference of the two answers, (a − b) / (a + b + 1), scaled to
unit root mean square over the battles; the logistic fit is then

    P(A beats B) = σ(θA − θB + β · x)

so a model that wins only because its answers are longer (or carry more headers, lists and
bold) gets its wins credited to β, not to θ. The features are the answer's length in
characters and its markdown elements (headers, list items, bold spans; code blocks are not
counted). An unknown feature (a battle stored before they were) is a zero difference.

The scaling is about zero, not the mean: a battle and its mirror (B against A, the score
and the features negated) are the same evidence, and centring would break that. β is in
log-odds per one root mean square of the normalised difference: positive means voters
prefer the longer (or more formatted) answer.

Fitted by Newton's method on all K + 2 parameters (each step a few vector passes over the
battles and one (K+2)×(K+2) system), under the same weak prior as the plain fit; intervals
are Wald intervals from the full information, so they widen where style and model are
confounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from chatwait.compare.bradley_terry import Fit, fit_result, newton_step
from chatwait.compare.table import BattleTable, FloatArray

FEATURES = ("length", "markdown")
"""The covariates, in the order of `StyleFit.coefficients`."""

_CODE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_HEADER = re.compile(r"^#{1,6}\s", re.MULTILINE)
_LIST = re.compile(r"^\s*(?:[-*+]|\d+\.)\s", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")


def count_markdown(text: str) -> int:
    """Headers, list items and bold spans of `text`, outside code blocks."""
    prose = _CODE.sub("", text)
    return sum(len(pattern.findall(prose)) for pattern in (_HEADER, _LIST, _BOLD))


@dataclass(frozen=True, slots=True)
class StyleFit:
    """Ratings with style held fixed, and the fitted style coefficients (log-odds per
    root mean square of each normalised difference, keyed by `FEATURES`)."""

    fit: Fit
    coefficients: dict[str, float]


def features(table: BattleTable) -> FloatArray:
    """Per battle, the normalised A − B difference of each feature (N × 2), unit RMS."""
    columns = []
    for a, b in (table.length, table.markdown):
        diff = np.nan_to_num((a - b) / (a + b + 1.0), nan=0.0)
        rms = float(np.sqrt(np.mean(diff * diff))) if len(diff) else 0.0
        columns.append(diff / rms if rms > 0 else diff)
    return np.column_stack(columns) if columns[0].size else np.zeros((0, len(FEATURES)))


def _objective(margin: FloatArray, score: FloatArray, params: FloatArray, ridge: float) -> float:
    # s·log σ(d) + (1 − s)·log σ(−d), stably
    log_p = -(score * np.logaddexp(0.0, -margin) + (1.0 - score) * np.logaddexp(0.0, margin))
    return float(np.sum(log_p) - 0.5 * ridge * float(params @ params))


def _information(table: BattleTable, x: FloatArray, weight: FloatArray, ridge: float) -> FloatArray:
    """The negative Hessian over (θ, β)."""
    size, width = len(table.keys), x.shape[1]
    pairs = np.bincount(table.a * size + table.b, weights=weight, minlength=size * size)
    games = pairs.reshape(size, size)
    games = games + games.T
    info = np.zeros((size + width, size + width))
    info[:size, :size] = np.diag(games.sum(axis=1)) - games
    for f in range(width):
        wx = weight * x[:, f]
        cross = np.bincount(table.a, weights=wx, minlength=size)
        cross -= np.bincount(table.b, weights=wx, minlength=size)
        info[:size, size + f] = info[size + f, :size] = cross
    info[size:, size:] = (x * weight[:, None]).T @ x
    result: FloatArray = info + ridge * np.eye(size + width)
    return result


def fit_style_controlled(
    table: BattleTable, *, ridge: float = 0.1, tolerance: float = 1e-9
) -> StyleFit:
    """Ratings with 95 % intervals and style coefficients fitted to `table` together."""
    keys, size = table.keys, len(table.keys)
    x = features(table)
    params = np.zeros(size + len(FEATURES))
    score = table.score

    def margin(p: FloatArray) -> FloatArray:
        result: FloatArray = p[table.a] - p[table.b] + x @ p[size:]
        return result

    iterations = 0
    if size:
        current = _objective(margin(params), score, params, ridge)
        for iterations in range(1, 101):  # noqa: B007 - reported in the fit
            p = 1.0 / (1.0 + np.exp(-margin(params)))
            residual = score - p
            gradient = np.concatenate(
                (
                    np.bincount(table.a, weights=residual, minlength=size)
                    - np.bincount(table.b, weights=residual, minlength=size),
                    x.T @ residual,
                )
            )
            gradient -= ridge * params
            information = _information(table, x, p * (1.0 - p), ridge)
            step = np.asarray(np.linalg.solve(information, gradient), dtype=np.float64)
            params, current, moved = newton_step(
                params, step, current, lambda c: _objective(margin(c), score, c, ridge)
            )
            if moved < tolerance:
                break
    covariance: FloatArray = np.zeros((0, 0))
    if size:
        p = 1.0 / (1.0 + np.exp(-margin(params)))
        information = _information(table, x, p * (1.0 - p), ridge)
        covariance = np.asarray(np.linalg.inv(information)[:size, :size], dtype=np.float64)
    fit = fit_result(keys, params[:size], covariance, iterations)
    return StyleFit(fit, dict(zip(FEATURES, params[size:].tolist(), strict=True)))

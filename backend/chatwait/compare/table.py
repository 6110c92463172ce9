"""Battles as columns: contestant indices, A's score, and each side's measurements.

The fit and the standings work on these arrays, so 100,000 battles cost a few vector
operations rather than 100,000 Python objects. Unknown measurements are NaN.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from chatwait.compare.battles import Battle

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]

SCORES = {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}
"""A's share of the win by outcome: ties and both bad are half a win each."""


@dataclass(frozen=True, slots=True)
class BattleTable:
    keys: tuple[str, ...]
    """Contestants, sorted; `a` and `b` index into it."""
    a: IndexArray
    b: IndexArray
    score: FloatArray
    """A's share of the win: 1, 0 or 0.5."""
    ttft: tuple[FloatArray, FloatArray]
    """(A's, B's), NaN where unknown; likewise `latency` and `cost`."""
    latency: tuple[FloatArray, FloatArray]
    cost: tuple[FloatArray, FloatArray]
    length: tuple[FloatArray, FloatArray]
    """Each answer's length in characters; `markdown` its markdown elements (style control)."""
    markdown: tuple[FloatArray, FloatArray]

    def __len__(self) -> int:
        return len(self.score)


Column = Sequence[float | None]
Style = tuple[Column, Column, Column, Column]
"""A's length, A's markdown, B's length, B's markdown."""


def _floats(values: Sequence[float | None]) -> FloatArray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def table_from_columns(
    a_keys: Sequence[str],
    b_keys: Sequence[str],
    outcomes: Sequence[str],
    a_measures: tuple[Sequence[float | None], Sequence[float | None], Sequence[float | None]],
    b_measures: tuple[Sequence[float | None], Sequence[float | None], Sequence[float | None]],
    styles: Style | None = None,
) -> BattleTable:
    """A table from parallel columns (ttft, latency, cost per side; optionally length and
    markdown per side, A's then B's, unknown without). A battle of a contestant against
    itself is dropped; an unknown outcome raises `KeyError`."""
    keys = tuple(sorted(set(a_keys) | set(b_keys)))
    index = {key: i for i, key in enumerate(keys)}
    a = np.fromiter((index[k] for k in a_keys), dtype=np.intp, count=len(a_keys))
    b = np.fromiter((index[k] for k in b_keys), dtype=np.intp, count=len(b_keys))
    score = np.fromiter((SCORES[o] for o in outcomes), dtype=np.float64, count=len(outcomes))
    keep = a != b
    measures = [_floats(column)[keep] for column in (*a_measures, *b_measures)]
    unknown = [None] * len(a_keys)
    style = [_floats(column)[keep] for column in (styles or (unknown,) * 4)]
    return BattleTable(
        keys=keys,
        a=a[keep],
        b=b[keep],
        score=score[keep],
        ttft=(measures[0], measures[3]),
        latency=(measures[1], measures[4]),
        cost=(measures[2], measures[5]),
        length=(style[0], style[2]),
        markdown=(style[1], style[3]),
    )


def table_from_battles(battles: Iterable[Battle]) -> BattleTable:
    listed = list(battles)
    return table_from_columns(
        [x.a.key for x in listed],
        [x.b.key for x in listed],
        [x.outcome for x in listed],
        (
            [x.a.ttft_ms for x in listed],
            [x.a.latency_ms for x in listed],
            [x.a.cost_usd for x in listed],
        ),
        (
            [x.b.ttft_ms for x in listed],
            [x.b.latency_ms for x in listed],
            [x.b.cost_usd for x in listed],
        ),
        (
            [x.a.length for x in listed],
            [x.a.markdown for x in listed],
            [x.b.length for x in listed],
            [x.b.markdown for x in listed],
        ),
    )

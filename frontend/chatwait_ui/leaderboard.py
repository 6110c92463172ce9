"""The leaderboard page's props: `GET /leaderboard` as a table and two charts.

Pure (no Chainlit). `public/elements/Leaderboard.jsx` draws, in plain SVG, one bar per
ranked model (its rating with the 95 % interval as error bars) and one point per ranked
model that has a price (rating against mean cost per answer), then the table. Models
below the minimum battles (`rank` null) are listed in the table, not charted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["leaderboard_props", "parse_request"]

SCOPES = ("me", "all")
BOARDS = ("blind", "all")


def parse_request(text: str) -> tuple[str, str]:
    """The `leaderboard` command's words → (scope, board): `all` is everyone's votes,
    `every vote` / `votes` counts non-blind votes too. Defaults: your blind battles."""
    words = text.lower().split()
    scope = "all" if "all" in words or "everyone" in words else "me"
    board = "all" if "votes" in words or "every" in words else "blind"
    return scope, board


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _row(item: Mapping[str, Any]) -> dict[str, Any]:
    rating = _number(item.get("rating")) or 0.0
    low, high = _number(item.get("ci_low")), _number(item.get("ci_high"))
    rank = item.get("rank")
    return {
        "key": f"{item.get('agent')}/{item.get('model')}",
        "model": str(item.get("model") or ""),
        "agent": str(item.get("agent") or ""),
        "rank": rank if isinstance(rank, int) else None,
        "rating": round(rating, 1),
        "ciLow": round(low if low is not None else rating, 1),
        "ciHigh": round(high if high is not None else rating, 1),
        "battles": int(item.get("battles") or 0),
        "winRate": _number(item.get("win_rate")),
        "cost": _number(item.get("mean_cost_usd")),
        "costPerWin": _number(item.get("cost_per_win")),
    }


def _domain(values: list[float], *, pad: float) -> list[float]:
    """[low, high] around the values, never empty (one value gets `pad` each side)."""
    if not values:
        return [0.0, 1.0]
    low, high = min(values), max(values)
    margin = max((high - low) * 0.08, pad)
    return [round(low - margin, 6), round(high + margin, 6)]


def leaderboard_props(
    body: Mapping[str, Any], *, scope: str, board: str, notice: str | None = None
) -> dict[str, Any]:
    """Leaderboard.jsx's props: every row, the ranked ones (charted) best first, and the
    axes' domains so the element only scales."""
    rows = [_row(item) for item in body.get("items") or [] if isinstance(item, Mapping)]
    ranked = sorted((r for r in rows if r["rank"] is not None), key=lambda r: -r["rating"])
    unranked = [r for r in rows if r["rank"] is None]
    priced = [r for r in ranked if r["cost"] is not None]
    bounds = [v for r in ranked for v in (r["ciLow"], r["ciHigh"])]
    return {
        "scope": scope,
        "board": board,
        "battles": int(body.get("battles") or 0),
        "minBattles": int(body.get("min_battles") or 0),
        "computedAt": body.get("computed_at"),
        "rows": [*sorted(ranked, key=lambda r: (r["rank"], -r["rating"])), *unranked],
        "ranked": ranked,
        "priced": priced,
        "ratingDomain": _domain(bounds, pad=20.0),
        "costDomain": [0.0, max([r["cost"] * 1.15 for r in priced] or [1e-6]) or 1e-6],
        "notice": notice,
    }

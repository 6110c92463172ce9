"""The leaderboard page's props: `GET /leaderboard` as a table and two charts.

Pure (no Chainlit). `public/elements/Leaderboard.jsx` draws, in plain SVG, one bar per
ranked model (its rating with the 95 % interval as error bars) and one point per ranked
model that has a price (rating against mean cost per answer), then the table. Models
below the minimum battles (`rank` null) are listed in the table, not charted.

The table has a second rating column, the style-controlled one (length and markdown as
covariates), and a toggle charts it instead. A `since` control (all time, last 7 or 30
days) asks for the board anew through the `leaderboard_view` action (`view_props`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from .api import ApiClient, ApiError

__all__ = ["SINCE_CHOICES", "leaderboard_props", "parse_request", "since_moment", "view_props"]

SCOPES = ("me", "all")
BOARDS = ("blind", "all")
SINCE_CHOICES = {"all": ("All time", None), "7d": ("Last 7 days", 7), "30d": ("Last 30 days", 30)}
"""The since control's choices: label and days back (None: every battle)."""


def since_moment(choice: str, *, now: datetime | None = None) -> str | None:
    """The ISO 8601 moment a since choice names (None for all time or an unknown one)."""
    days = SINCE_CHOICES.get(choice, ("", None))[1]
    if days is None:
        return None
    return ((now or datetime.now(UTC)) - timedelta(days=days)).isoformat(timespec="seconds")


async def view_props(api: ApiClient, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The page anew for the element's controls: `payload` names scope, board and since."""
    scope = _choice(payload.get("scope"), SCOPES, "me")
    board = _choice(payload.get("board"), BOARDS, "blind")
    since = _choice(payload.get("since"), tuple(SINCE_CHOICES), "all")
    try:
        body = await api.leaderboard(scope=scope, board=board, since=since_moment(since))
    except ApiError as exc:
        return leaderboard_props({}, scope=scope, board=board, since=since, notice=exc.message)
    return leaderboard_props(body, scope=scope, board=board, since=since)


def parse_request(text: str) -> tuple[str, str]:
    """The `leaderboard` command's words → (scope, board): `all` is everyone's votes,
    `every vote` / `votes` counts non-blind votes too. Defaults: your blind battles."""
    words = text.lower().split()
    scope = "all" if "all" in words or "everyone" in words else "me"
    board = "all" if "votes" in words or "every" in words else "blind"
    return scope, board


def _choice(value: Any, allowed: tuple[str, ...], default: str) -> str:
    return value if isinstance(value, str) and value in allowed else default


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _row(item: Mapping[str, Any]) -> dict[str, Any]:
    rating = _number(item.get("rating")) or 0.0
    low, high = _number(item.get("ci_low")), _number(item.get("ci_high"))
    rank = item.get("rank")
    plain = {
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
    return {**plain, **_style(item, plain)}


def _style(item: Mapping[str, Any], plain: Mapping[str, Any]) -> dict[str, Any]:
    """The style-controlled rating, its interval and rank; without them (an older
    backend) the plain rating and interval stand in, with no rank."""
    style = _number(item.get("style_rating"))
    if style is None:
        return {
            "styleRating": plain["rating"],
            "styleCiLow": plain["ciLow"],
            "styleCiHigh": plain["ciHigh"],
            "styleRank": None,
        }
    low, high = _number(item.get("style_ci_low")), _number(item.get("style_ci_high"))
    rank = item.get("style_rank")
    return {
        "styleRating": round(style, 1),
        "styleCiLow": round(low if low is not None else style, 1),
        "styleCiHigh": round(high if high is not None else style, 1),
        "styleRank": rank if isinstance(rank, int) else None,
    }


def _domain(values: list[float], *, pad: float) -> list[float]:
    """[low, high] around the values, never empty (one value gets `pad` each side)."""
    if not values:
        return [0.0, 1.0]
    low, high = min(values), max(values)
    margin = max((high - low) * 0.08, pad)
    return [round(low - margin, 6), round(high + margin, 6)]


def leaderboard_props(
    body: Mapping[str, Any],
    *,
    scope: str,
    board: str,
    since: str = "all",
    notice: str | None = None,
) -> dict[str, Any]:
    """Leaderboard.jsx's props: every row, the ranked ones (charted) best first, the axes'
    domains (over both ratings, so the style toggle only moves the bars), the style
    coefficients and the since control's choices."""
    rows = [_row(item) for item in body.get("items") or [] if isinstance(item, Mapping)]
    ranked = sorted((r for r in rows if r["rank"] is not None), key=lambda r: -r["rating"])
    unranked = [r for r in rows if r["rank"] is None]
    priced = [r for r in ranked if r["cost"] is not None]
    keys = ("ciLow", "ciHigh", "styleCiLow", "styleCiHigh")
    bounds = [r[k] for r in ranked for k in keys]
    found = body.get("style")
    style: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
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
        "style": {k: _number(style.get(k)) for k in ("length", "markdown")},
        "since": since if since in SINCE_CHOICES else "all",
        "sinceChoices": [{"value": k, "label": v[0]} for k, v in SINCE_CHOICES.items()],
        "notice": notice,
    }

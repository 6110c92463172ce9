"""Limits in the chat: why a turn was refused and when to retry, the `/usage` table, and
the props of the always-visible usage bars (`public/elements/Usage.jsx`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from chainlit.types import CommandDict

from .api import ApiError

__all__ = [
    "USAGE_COMMAND",
    "refusal_text",
    "usage_markdown",
    "usage_props",
    "wait_text",
    "wants_usage",
]

USAGE_COMMAND = CommandDict(
    id="usage",
    description="Show my limits and usage",
    icon="gauge",
    button=False,
    persistent=False,
    selected=False,
)
"""In the composer's command menu."""
BAR_WIDTH = 10
_ROWS = (
    ("turns_per_minute", "Turns this minute"),
    ("concurrent_turns", "Turns running now"),
    ("tokens_per_day", "Tokens today (UTC)"),
    ("cost_usd_per_month", "Cost this month (UTC)"),
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def wait_text(seconds: int) -> str:
    """`41 s`, `3 min`, `5 h 20 min`."""
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def refusal_text(exc: ApiError, now: Callable[[], dt.datetime] = _now) -> str:
    """What the panes say when the backend refused to start a turn (429)."""
    kind = "Quota reached" if exc.code == "quota_exceeded" else "Too many turns"
    text = f"{kind}, so this message was not sent ({exc.message.rstrip('.')})."
    if exc.retry_after:
        at = (now() + dt.timedelta(seconds=exc.retry_after)).strftime("%H:%M:%S UTC")
        text += f" Send it again at {at} (in {wait_text(exc.retry_after)})."
    return text


def _amount(name: str, value: float | None) -> str:
    if value is None:
        return "unlimited"
    if name == "cost_usd_per_month":
        return f"${value:,.4f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def _bar(used: float, limit: float | None) -> str:
    if not limit:
        return ""
    filled = min(BAR_WIDTH, round(BAR_WIDTH * used / limit))
    return "▰" * filled + "▱" * (BAR_WIDTH - filled) + " "


def _resets(value: str | None, pattern: str = "%d %b %H:%M UTC") -> str:
    if not value:
        return "when a turn ends"
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.strftime(pattern)


def usage_markdown(report: Mapping[str, Any]) -> str:
    """`GET /me/usage` as a small table: a bar per limit, then today's usage by agent."""
    lines = ["**Your limits and usage**", "", "| | used | limit | resets |", "|---|---|---|---|"]
    limits = report.get("limits") or {}
    for name, label in _ROWS:
        entry = limits.get(name) or {}
        used, limit = entry.get("used", 0), entry.get("limit")
        reserved = entry.get("reserved") or 0
        held = f" (+{_amount(name, reserved)} reserved)" if reserved else ""
        lines.append(
            f"| {label} | {_bar(used + reserved, limit)}{_amount(name, used)}{held} "
            f"| {_amount(name, limit)} | {_resets(entry.get('resets_at'))} |"
        )
    rows = (report.get("today") or {}).get("by_agent_model") or []
    if rows:
        lines += ["", "Today by agent and model:"]
        lines += [
            f"- {row['agent']} · {row['model']}: {row['tokens']:,} tokens, "
            f"{row['runs']} run{'' if row['runs'] == 1 else 's'}"
            for row in rows
        ]
    month = report.get("this_month") or {}
    if month.get("cost_usd"):
        lines.append(f"\nThis month: ${month['cost_usd']:,.4f}")
    return "\n".join(lines)


def wants_usage(command: str | None, text: str) -> bool:
    """The composer's `usage` command, or a message that is just `/usage`."""
    return command == USAGE_COMMAND["id"] or text.strip().lower() == "/usage"


_SECONDS = "%H:%M:%S UTC"
_DAY = "%d %b %H:%M UTC"


def _percent(value: float, limit: float) -> float:
    return round(min(100.0, max(0.0, 100.0 * value / limit)), 1)


def _state(used: float, reserved: float, limit: float | None) -> str:
    """`unlimited`, `full` (nothing left: the next turn is refused), `high` (80 %+), `ok`."""
    if limit is None:
        return "unlimited"
    if used + reserved >= limit:
        return "full"
    return "high" if used + reserved >= 0.8 * limit else "ok"


def _bar_row(name: str, label: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    used = entry.get("used") or 0
    reserved = entry.get("reserved") or 0
    limit = entry.get("limit")
    text = (
        _amount(name, used) if limit is None else f"{_amount(name, used)} / {_amount(name, limit)}"
    )
    row: dict[str, Any] = {
        "name": name,
        "label": label,
        "used": used,
        "reserved": reserved,
        "limit": limit,
        "text": text,
        "reservedText": f"+{_amount(name, reserved)} reserved" if reserved else None,
        "state": _state(used, reserved, limit),
        "percent": None,
        "reservedPercent": None,
        # a minute's window frees up by the second
        "resets": _resets(entry.get("resets_at"), _SECONDS if name == "turns_per_minute" else _DAY),
    }
    if limit:
        row["percent"] = _percent(used, limit)
        row["reservedPercent"] = round(_percent(used + reserved, limit) - row["percent"], 1)
    elif limit is not None:  # a limit of 0: nothing is allowed
        row["percent"], row["reservedPercent"] = 100.0, 0.0
    return row


def usage_props(
    report: Mapping[str, Any], *, refused: str | None = None, notice: str | None = None
) -> dict[str, Any]:
    """Usage.jsx's props from `GET /me/usage`: one row per limit (a bar when it has a
    limit, a count when unlimited), today's tokens, this month's cost.

    `refused`: why the last message was not sent and when to retry (shown with the bars);
    `notice`: the usage could not be read (no rows then: zeros would claim "unlimited").
    """
    limits = report.get("limits") or {}
    today = report.get("today") or {}
    month = report.get("this_month") or {}
    return {
        "rows": [_bar_row(name, label, limits.get(name) or {}) for name, label in _ROWS]
        if limits
        else [],
        "todayTokens": int(today.get("tokens") or 0),
        "monthCost": _amount("cost_usd_per_month", float(month.get("cost_usd") or 0.0)),
        "refused": refused,
        "notice": notice,
    }

"""The usage bars' props: a bar per limit, a count when unlimited, the refusal with them."""

from __future__ import annotations

from typing import Any

from chatwait_ui.usage import usage_props


def _limit(limit: float | None, used: float, reserved: float = 0, resets: str | None = None) -> Any:
    remaining = None if limit is None else limit - used - reserved
    return {
        "limit": limit,
        "used": used,
        "reserved": reserved,
        "remaining": remaining,
        "resets_at": resets,
    }


def _report(**limits: Any) -> dict[str, Any]:
    return {
        "limits": limits,
        "today": {"since": "2026-12-02", "tokens": 1234, "cost_usd": 0.0, "by_agent_model": []},
        "this_month": {
            "since": "2026-12-01",
            "tokens": 1234,
            "cost_usd": 0.0123,
            "by_agent_model": [],
        },
    }


def _rows(props: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in props["rows"]}


def test_every_limit_has_a_row_in_order_with_its_label() -> None:
    props = usage_props(
        _report(
            cost_usd_per_month=_limit(None, 0.0123),
            tokens_per_day=_limit(None, 1234),
            concurrent_turns=_limit(4, 0),
            turns_per_minute=_limit(30, 1),
        )
    )
    assert [(r["name"], r["label"]) for r in props["rows"]] == [
        ("turns_per_minute", "Turns this minute"),
        ("concurrent_turns", "Turns running now"),
        ("tokens_per_day", "Tokens today (UTC)"),
        ("cost_usd_per_month", "Cost this month (UTC)"),
    ]
    assert props["todayTokens"] == 1234
    assert props["monthCost"] == "$0.0123"
    assert props["refused"] is None and props["notice"] is None


def test_a_limited_row_is_a_bar_with_used_over_limit() -> None:
    rows = _rows(
        usage_props(
            _report(
                turns_per_minute=_limit(30, 3, resets="2026-12-02T01:31:00Z"),
                tokens_per_day=_limit(1000, 500, resets="2026-12-03T00:00:00Z"),
            )
        )
    )
    turns = rows["turns_per_minute"]
    assert (turns["text"], turns["percent"], turns["state"]) == ("3 / 30", 10.0, "ok")
    assert turns["resets"] == "01:31:00 UTC"  # a minute's window frees up by the second
    assert rows["tokens_per_day"]["resets"] == "03 Dec 00:00 UTC"
    tokens = rows["tokens_per_day"]
    assert (tokens["text"], tokens["percent"], tokens["reservedPercent"]) == (
        "500 / 1,000",
        50.0,
        0,
    )


def test_an_unlimited_row_is_a_count_without_a_bar() -> None:
    rows = _rows(
        usage_props(_report(cost_usd_per_month=_limit(None, 0.5), concurrent_turns=_limit(None, 2)))
    )
    cost = rows["cost_usd_per_month"]
    assert (cost["text"], cost["limit"], cost["percent"], cost["state"]) == (
        "$0.5",
        None,
        None,
        "unlimited",
    )
    running = rows["concurrent_turns"]
    assert (running["text"], running["percent"], running["resets"]) == (
        "2",
        None,
        "when a turn ends",
    )


def test_reservations_are_a_lighter_part_of_the_bar_and_count_towards_full() -> None:
    rows = _rows(
        usage_props(
            _report(
                tokens_per_day=_limit(1000, 600, reserved=250),
                concurrent_turns=_limit(4, 3, reserved=1),
            )
        )
    )
    tokens = rows["tokens_per_day"]
    assert (tokens["percent"], tokens["reservedPercent"]) == (60.0, 25.0)
    assert tokens["reservedText"] == "+250 reserved"
    assert tokens["state"] == "high"  # 85 % taken: the next turn may not fit
    assert rows["concurrent_turns"]["state"] == "full"


def test_used_past_the_limit_fills_the_bar_and_no_more() -> None:
    rows = _rows(
        usage_props(
            _report(tokens_per_day=_limit(1000, 1300, reserved=100), turns_per_minute=_limit(0, 0))
        )
    )
    tokens = rows["tokens_per_day"]
    assert (tokens["percent"], tokens["reservedPercent"], tokens["state"]) == (100.0, 0.0, "full")
    blocked = rows["turns_per_minute"]  # a limit of 0: nothing is allowed
    assert (blocked["text"], blocked["percent"], blocked["state"]) == ("0 / 0", 100.0, "full")


def test_a_refusal_and_an_unreadable_usage_are_passed_on_without_rows() -> None:
    props = usage_props({}, refused="Too many turns, …", notice="Could not read your usage: down")
    assert props["refused"] == "Too many turns, …"
    assert props["notice"] == "Could not read your usage: down"
    assert props["rows"] == []  # not zeros, which would read as "unlimited"

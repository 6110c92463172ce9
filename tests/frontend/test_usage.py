"""The UI's view of limits: a refused turn says when to retry; `/usage` shows a table."""

from __future__ import annotations

import datetime as dt

import httpx

from chatwait_ui.api import ApiError
from chatwait_ui.usage import refusal_text, usage_markdown, wait_text, wants_usage

NOW = dt.datetime(2026, 12, 2, 1, 30, tzinfo=dt.UTC)


def _refused(code: str, message: str, retry_after: str) -> ApiError:
    response = httpx.Response(
        429,
        json={"error": {"code": code, "message": message, "retryable": True}},
        headers={"Retry-After": retry_after},
        request=httpx.Request("POST", "http://backend/chat/wait"),
    )
    return ApiError.from_response(response)


def test_a_rate_refusal_says_when_to_retry() -> None:
    exc = _refused("rate_limited", "at most 2 turns a minute: retry in 41 s", "41")
    assert exc.status == 429 and exc.retry_after == 41
    assert refusal_text(exc, now=lambda: NOW) == (
        "Too many turns, so this message was not sent (at most 2 turns a minute: retry in "
        "41 s). Send it again at 01:30:41 UTC (in 41 s)."
    )


def test_a_quota_refusal_names_the_quota_and_the_reset() -> None:
    exc = _refused("quota_exceeded", "your tokens for today are used up", "16200")
    text = refusal_text(exc, now=lambda: NOW)
    assert text.startswith("Quota reached, so this message was not sent (your tokens")
    assert text.endswith("Send it again at 06:00:00 UTC (in 4 h 30 min).")


def test_wait_text_rounds_to_what_a_person_reads() -> None:
    assert [wait_text(s) for s in (5, 89, 90, 3000, 5400, 86399)] == [
        "5 s",
        "89 s",
        "2 min",
        "50 min",
        "1 h 30 min",
        "24 h 0 min",
    ]


def test_usage_table_shows_a_bar_per_limit_and_the_agents() -> None:
    report = {
        "limits": {
            "turns_per_minute": {
                "limit": 30,
                "used": 3,
                "reserved": 0,
                "remaining": 27,
                "resets_at": "2026-12-02T01:31:00Z",
            },
            "concurrent_turns": {
                "limit": 4,
                "used": 1,
                "reserved": 0,
                "remaining": 3,
                "resets_at": None,
            },
            "tokens_per_day": {
                "limit": 1000,
                "used": 500,
                "reserved": 0,
                "remaining": 500,
                "resets_at": "2026-12-03T00:00:00Z",
            },
            "cost_usd_per_month": {
                "limit": None,
                "used": 0.0,
                "reserved": 0,
                "remaining": None,
                "resets_at": "2027-01-01T00:00:00Z",
            },
        },
        "today": {
            "since": "2026-12-02",
            "tokens": 500,
            "cost_usd": 0.0,
            "by_agent_model": [
                {
                    "agent": "offline",
                    "model": "offline-1",
                    "runs": 2,
                    "input_tokens": 100,
                    "output_tokens": 400,
                    "tokens": 500,
                    "cost_usd": 0.0,
                }
            ],
        },
        "this_month": {"since": "2026-12-01", "tokens": 500, "cost_usd": 0.0, "by_agent_model": []},
    }
    text = usage_markdown(report)
    assert "| Tokens today (UTC) | ▰▰▰▰▰▱▱▱▱▱ 500 | 1,000 | 03 Dec 00:00 UTC |" in text
    assert "| Turns running now | ▰▰▱▱▱▱▱▱▱▱ 1 | 4 | when a turn ends |" in text
    assert "| Cost this month (UTC) | $0 | unlimited | 01 Jan 00:00 UTC |" in text
    assert "- offline · offline-1: 500 tokens, 2 runs" in text


def test_the_usage_command_or_its_slash_form() -> None:
    assert wants_usage("usage", "")
    assert wants_usage(None, " /usage ")
    assert not wants_usage(None, "how is my usage?")

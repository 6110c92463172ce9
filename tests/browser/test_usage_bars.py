"""The usage bars beside the chat: what `GET /me/usage` says, after every turn, refused too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.server import chatwait_server
from tests.browser.ui import STREAM_TIMEOUT_MS, open_chat, send, wait_until_finished
from tests.support.processes import ChildServer

pytestmark = pytest.mark.browser

QUOTA = 1_000_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    with chatwait_server(
        tmp_path_factory.mktemp("browser-usage-bars"),
        LIMIT_TURNS_PER_MINUTE="2",
        QUOTA_TOKENS_PER_DAY=str(QUOTA),
        SIM_TTFT_MS="5",
        SIM_TOKENS_PER_SECOND="400",
    ) as running:
        yield running


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    """5 tokens/s: a turn runs for many seconds, long enough to see it counted running."""
    with chatwait_server(
        tmp_path_factory.mktemp("browser-usage-running"),
        LIMIT_CONCURRENT_TURNS="4",
        QUOTA_TOKENS_PER_DAY=str(QUOTA),
        SIM_TOKENS_PER_SECOND="5",
    ) as running:
        yield running


def _usage(url: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/me/usage")
    response.raise_for_status()
    return response.json()


def _row(page: Page, limit: str) -> Locator:
    return page.locator(f'#side-view-content .cw-usage-row[data-limit="{limit}"]')


def _expect_bar(row: Locator, text: str, percent: float) -> None:
    expect(row.locator(".cw-usage-value")).to_have_text(text, timeout=STREAM_TIMEOUT_MS)
    fill = row.locator(".cw-usage-fill")
    expect(fill).to_have_attribute("style", re.compile(rf"width: {percent:g}%"))


def test_the_bars_follow_each_turn_and_a_refusal(page: Page, server: ChildServer) -> None:
    open_chat(page, server.base_url)
    expect(page.locator("#side-view-title")).to_have_text("Usage")
    _expect_bar(_row(page, "turns_per_minute"), "0 / 2", 0)
    _expect_bar(_row(page, "tokens_per_day"), f"0 / {QUOTA:,}", 0)
    cost = _row(page, "cost_usd_per_month")
    expect(cost.locator(".cw-usage-value")).to_have_text("$0 · unlimited")
    expect(cost.locator(".cw-usage-bar")).to_have_count(0)  # unlimited: a count, no bar

    wait_until_finished(send(page, "The first turn this minute"))
    expect(page).to_have_url(re.compile(r"/thread/[0-9a-f-]{36}$"))
    _expect_bar(_row(page, "turns_per_minute"), "1 / 2", 50)
    tokens = _usage(server.base_url)["limits"]["tokens_per_day"]["used"]
    assert tokens > 0
    _expect_bar(
        _row(page, "tokens_per_day"), f"{tokens:,} / {QUOTA:,}", round(100 * tokens / QUOTA, 1)
    )
    expect(page.locator("#side-view-content .cw-usage-totals")).to_contain_text(
        f"Today: {tokens:,} tokens"
    )

    wait_until_finished(send(page, "The second turn this minute"))
    turns = _row(page, "turns_per_minute")
    _expect_bar(turns, "2 / 2", 100)
    expect(turns).to_have_attribute("data-state", "full")
    more = _usage(server.base_url)["limits"]["tokens_per_day"]["used"]
    assert more > tokens
    expect(_row(page, "tokens_per_day").locator(".cw-usage-value")).to_have_text(
        f"{more:,} / {QUOTA:,}"
    )

    refused = send(page, "One too many")
    expect(refused.locator(".cw-notice")).to_contain_text("Too many turns")
    alert = page.locator("#side-view-content .cw-usage-refused")
    expect(alert).to_contain_text("Too many turns, so this message was not sent")
    expect(alert).to_contain_text(re.compile(r"Send it again at \d\d:\d\d:\d\d UTC"))
    expect(turns.locator(".cw-usage-value")).to_have_text("2 / 2")  # refused: not counted

    # reopened (the thread is resumed): the bars come back with it
    page.reload()
    turns = _row(page, "turns_per_minute")
    expect(turns.locator(".cw-usage-value")).to_have_text("2 / 2", timeout=30_000)
    expect(turns).to_contain_text(re.compile(r"resets \d\d:\d\d:\d\d UTC"))
    expect(_row(page, "tokens_per_day").locator(".cw-usage-value")).to_have_text(
        f"{more:,} / {QUOTA:,}"
    )


def test_a_running_turn_is_counted_and_its_tokens_reserved_until_stopped(
    page: Page, slow_server: ChildServer
) -> None:
    open_chat(page, slow_server.base_url)
    _expect_bar(_row(page, "concurrent_turns"), "0 / 4", 0)
    turn = send(page, "Take your time")
    expect(turn.locator('.cw-pane[data-status="running"]')).to_have_count(
        2, timeout=STREAM_TIMEOUT_MS
    )
    _expect_bar(_row(page, "concurrent_turns"), "1 / 4", 25)
    reserved = _usage(slow_server.base_url)["limits"]["tokens_per_day"]["reserved"]
    assert reserved > 0
    expect(_row(page, "tokens_per_day")).to_contain_text(f"+{reserved:,} reserved")

    page.locator("#stop-button").click()
    expect(turn.locator('.cw-pane[data-status="cancelled"]')).to_have_count(
        2, timeout=STREAM_TIMEOUT_MS
    )
    _expect_bar(_row(page, "concurrent_turns"), "0 / 4", 0)
    settled = _usage(slow_server.base_url)["limits"]["tokens_per_day"]
    assert settled["reserved"] == 0
    tokens = _row(page, "tokens_per_day")
    expect(tokens.locator(".cw-usage-value")).to_have_text(f"{settled['used']:,} / {QUOTA:,}")
    expect(tokens).not_to_contain_text("reserved")

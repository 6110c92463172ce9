"""Limits as a user meets them: a refused turn says when to retry; `/usage` shows usage."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.server import chatwait_server
from tests.browser.ui import STREAM_TIMEOUT_MS, open_chat, send, wait_until_finished
from tests.support.processes import ChildServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    with chatwait_server(
        tmp_path_factory.mktemp("browser-limits"),
        LIMIT_TURNS_PER_MINUTE="1",
        SIM_TTFT_MS="5",
        SIM_TOKENS_PER_SECOND="400",
    ) as running:
        yield running


def test_a_refused_turn_says_why_and_when_to_retry_and_usage_shows_it(
    page: Page, server: ChildServer
) -> None:
    open_chat(page, server.base_url)
    wait_until_finished(send(page, "The one turn this minute"))
    # Chainlit re-mounts the chat once when the thread URL appears: let that happen first,
    # or it takes the refused message (never stored: nothing was created) with it
    expect(page).to_have_url(re.compile(r"/thread/[0-9a-f-]{36}$"))
    expect(page.locator(".cw-turn")).to_have_count(1)  # re-mounted, the first turn is back

    refused = send(page, "One too many")
    notice = refused.locator(".cw-notice")
    expect(notice).to_contain_text("Too many turns, so this message was not sent")
    expect(notice).to_contain_text("1 turn a minute for you")
    expect(notice).to_contain_text("Send it again at")
    expect(notice).to_contain_text("UTC")

    page.locator("#chat-input").fill("/usage")
    page.locator("#chat-submit").click()
    table = page.get_by_role("table").last
    expect(table).to_contain_text("Turns this minute", timeout=STREAM_TIMEOUT_MS)
    expect(table.get_by_role("row").filter(has_text="Turns this minute")).to_contain_text("1")
    expect(page.get_by_text("offline · offline-1")).to_be_visible()

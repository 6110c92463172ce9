"""The stop button cancels the turn on the backend, and the panes say so."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.server import chatwait_server
from tests.browser.ui import (
    STREAM_TIMEOUT_MS,
    backend_turn,
    choose_mode,
    open_chat,
    pane,
    send,
)
from tests.support.processes import ChildServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    """5 tokens/s: answers take many seconds, so there is time to press stop."""
    with chatwait_server(tmp_path_factory.mktemp("browser-stop"), SIM_TOKENS_PER_SECOND="5") as s:
        yield s


def test_stop_mid_stream_cancels_every_run(page: Page, server: ChildServer) -> None:
    open_chat(page, server.base_url)
    turn = send(page, "Take your time")
    streaming = turn.locator('.cw-pane[data-status="running"] .cw-pane-text')
    expect(streaming).to_have_count(2, timeout=STREAM_TIMEOUT_MS)

    page.locator("#stop-button").click()
    for agent in ("offline", "offline-2"):
        stopped = pane(turn, agent)
        expect(stopped).to_have_attribute("data-status", "cancelled", timeout=STREAM_TIMEOUT_MS)
        expect(stopped.locator(".cw-pane-status")).to_have_text("Cancelled")
        expect(stopped.locator(".cw-pane-error")).to_contain_text("Cancelled")
        expect(stopped.locator(".cw-pane-footer")).to_contain_text("Cancelled")
        expect(stopped.locator(".cw-pane-text")).not_to_be_empty()  # what arrived stays

    body = backend_turn(server.base_url, turn)
    assert [r["status"] for r in body["runs"]] == ["cancelled", "cancelled"]
    for run in body["runs"]:
        shown = turn.locator(f'.cw-pane[data-run-id="{run["run_id"]}"] .cw-pane-text')
        expect(shown).to_have_attribute("data-raw", run["output"])


def test_stop_while_waiting_cancels_the_turn_of_a_new_chat(page: Page, server: ChildServer) -> None:
    """Wait mode learns its turn while the answer is pending, so stop works at once."""
    open_chat(page, server.base_url)
    choose_mode(page, "Wait")
    turn = send(page, "Stop me while I wait")
    expect(turn.locator(".cw-progress")).to_be_visible()
    page.locator("#stop-button").click()  # shown once the new thread is named
    for agent in ("offline", "offline-2"):
        stopped = pane(turn, agent)
        expect(stopped).to_have_attribute("data-status", "cancelled", timeout=STREAM_TIMEOUT_MS)
        expect(stopped.locator(".cw-pane-error")).to_contain_text("Cancelled")
    expect(turn.locator(".cw-progress")).to_have_count(0)
    body = backend_turn(server.base_url, turn)
    assert [r["status"] for r in body["runs"]] == ["cancelled", "cancelled"]
    expect(page).to_have_url(re.compile(f"/thread/{body['conversation_id']}$"))

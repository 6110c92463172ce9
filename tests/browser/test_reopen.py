"""A conversation reopened while its last turn still runs goes on streaming to the end."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.server import chatwait_server
from tests.browser.ui import (
    STREAM_TIMEOUT_MS,
    assert_panes_show_backend_outputs,
    backend_turn,
    open_chat,
    pane,
    send,
    turn_id,
    wait_until_finished,
)
from tests.support.processes import ChildServer

pytestmark = pytest.mark.browser

AGENTS = ("offline", "offline-2")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    """6 tokens/s for 60 tokens: each answer takes ~10 s, time enough to reopen mid-turn."""
    with chatwait_server(
        tmp_path_factory.mktemp("browser-reopen"), SIM_TOKENS_PER_SECOND="6"
    ) as running:
        yield running


def start_streaming_turn(page: Page, server: ChildServer, text: str) -> tuple[str, str]:
    """Send `text`, wait until both panes stream; return (conversation id, turn id)."""
    open_chat(page, server.base_url)
    turn = send(page, text)
    streaming = turn.locator('.cw-pane[data-status="running"] .cw-pane-text')
    expect(streaming).to_have_count(2, timeout=STREAM_TIMEOUT_MS)
    expect(page).to_have_url(re.compile(r"/thread/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[-1], turn_id(turn)


def reopened_turn(page: Page, server: ChildServer, expected_turn_id: str) -> Locator:
    """The reopened turn's panes, checked to show a snapshot taken while it still ran."""
    turn = page.locator(".cw-turn").first
    expect(turn).to_have_attribute("data-turn-id", expected_turn_id, timeout=30_000)
    assert backend_turn(server.base_url, turn)["status"] == "running", "reopened too late"
    return turn


def expect_text_to_grow(turn: Locator) -> None:
    """Each pane's text changes after the reopen: the panes are live, not a snapshot."""
    for agent in AGENTS:
        text = pane(turn, agent).locator(".cw-pane-text")
        expect(text).to_have_count(1, timeout=STREAM_TIMEOUT_MS)
        seen = text.get_attribute("data-raw") or ""
        expect(text).not_to_have_attribute("data-raw", seen, timeout=STREAM_TIMEOUT_MS)


def test_reloading_mid_answer_keeps_streaming_to_the_stored_answer(
    page: Page, server: ChildServer
) -> None:
    _, started = start_streaming_turn(page, server, "Keep talking while I reload")

    page.reload()
    turn = reopened_turn(page, server, started)
    expect_text_to_grow(turn)

    wait_until_finished(turn)
    expect(turn).to_have_attribute("data-status", "done")
    for agent in AGENTS:
        expect(pane(turn, agent).locator(".cw-pane-footer")).to_contain_text("Done")
    body = backend_turn(server.base_url, turn)
    assert [r["status"] for r in body["runs"]] == ["done", "done"]
    assert_panes_show_backend_outputs(turn, body["runs"])


def test_stop_cancels_a_turn_reopened_from_the_sidebar(page: Page, server: ChildServer) -> None:
    conversation_id, started = start_streaming_turn(page, server, "Stop me after I reopen")

    page.locator("#new-chat-button").click()
    expect(page.locator(".cw-turn")).to_have_count(0)
    page.locator(f'[id="thread-{conversation_id}"]').click()
    turn = reopened_turn(page, server, started)
    expect_text_to_grow(turn)

    page.locator("#stop-button").click()
    for agent in AGENTS:
        stopped = pane(turn, agent)
        expect(stopped).to_have_attribute("data-status", "cancelled", timeout=STREAM_TIMEOUT_MS)
        expect(stopped.locator(".cw-pane-footer")).to_contain_text("Cancelled")
    body = backend_turn(server.base_url, turn)
    assert [r["status"] for r in body["runs"]] == ["cancelled", "cancelled"]
    assert_panes_show_backend_outputs(turn, body["runs"])

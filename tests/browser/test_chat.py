"""The chat as a user sees it: streaming and wait modes, failures, history."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.server import chatwait_server
from tests.browser.ui import (
    STREAM_TIMEOUT_MS,
    assert_panes_show_backend_outputs,
    backend_turn,
    choose_mode,
    choose_model,
    open_chat,
    pane,
    send,
    wait_until_finished,
)
from tests.support.processes import ChildServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    """Offline agents slow enough (15 tokens/s) to watch both panes stream."""
    with chatwait_server(
        tmp_path_factory.mktemp("browser-chat"), SIM_TOKENS_PER_SECOND="15", SIM_ANSWER_TOKENS="30"
    ) as running:
        yield running


def conversation(server: ChildServer, conversation_id: str) -> dict:
    response = httpx.get(f"{server.base_url}/conversations/{conversation_id}")
    response.raise_for_status()
    return response.json()


def test_streaming_fills_both_panes_side_by_side_then_shows_footers(
    page: Page, server: ChildServer
) -> None:
    open_chat(page, server.base_url)
    turn = send(page, "Compare streaming with waiting")
    streaming = turn.locator('.cw-pane[data-status="running"] .cw-pane-text')
    expect(streaming).to_have_count(2, timeout=STREAM_TIMEOUT_MS)  # both at once, mid-stream

    first, second = pane(turn, "offline"), pane(turn, "offline-2")
    # the new thread's URL appears once the backend named the conversation; Chainlit then
    # re-mounts the chat once, so only mark the pane node after that
    expect(page).to_have_url(re.compile(r"/thread/[0-9a-f-]{36}$"))
    node = first.element_handle()
    node.evaluate("el => { el.dataset.probe = 'same-node'; }")
    expect(first.locator(".cw-pane-model")).to_have_text("offline-1")
    expect(second.locator(".cw-pane-model")).to_have_text("offline-2")
    a, b = first.bounding_box(), second.bounding_box()
    assert a and b and abs(a["y"] - b["y"]) < 2 and a["x"] + a["width"] <= b["x"]

    wait_until_finished(turn)
    # token batches re-render the panes in place: the node seen mid-stream is still shown
    assert node.evaluate("el => el.isConnected && el.dataset.probe") == "same-node"
    for agent in ("offline", "offline-2"):
        footer = pane(turn, agent).locator(".cw-pane-footer")
        expect(footer).to_contain_text("Done")
        expect(footer).to_contain_text(re.compile(r"\d+ in · \d+ out tokens"))
        expect(footer).to_contain_text(re.compile(r"latency \d"))
        expect(footer).to_contain_text(re.compile(r"TTFT \d"))
    assert_panes_show_backend_outputs(turn, backend_turn(server.base_url, turn)["runs"])

    page.set_viewport_size({"width": 600, "height": 900})
    expect(turn.locator(".cw-pane")).to_have_count(2)
    a, b = first.bounding_box(), second.bounding_box()
    assert a and b and b["y"] >= a["y"] + a["height"], "narrow windows stack the panes"


def test_wait_mode_shows_progress_then_every_answer_together(
    page: Page, server: ChildServer
) -> None:
    open_chat(page, server.base_url)
    choose_mode(page, "Wait")
    turn = send(page, "Answer when you are all done")
    progress = turn.locator('.cw-progress[data-mode="wait"]')
    expect(progress).to_be_visible()
    expect(progress).to_contain_text("Waiting for 2 agents")
    expect(progress.locator(".cw-progress-elapsed")).to_have_text(re.compile(r"^\d+\.\d s$"))
    expect(turn.locator(".cw-pane-waiting")).to_have_count(2)
    expect(turn.locator(".cw-pane-text")).to_have_count(0)

    wait_until_finished(turn)
    expect(progress).to_have_count(0)
    body = backend_turn(server.base_url, turn)
    assert [r["status"] for r in body["runs"]] == ["done", "done"]
    assert_panes_show_backend_outputs(turn, body["runs"])
    saved = conversation(server, body["conversation_id"])["metadata"]["ui"]
    assert saved["mode"] == "wait" and saved["agents"] == ["offline", "offline-2"]

    page.reload()  # the thread remembers its mode
    expect(page.locator(".cw-turn")).to_have_count(1, timeout=30_000)
    expect(page.locator("#mode-picker-trigger-mode")).to_contain_text("Wait")


def test_a_failing_agent_shows_its_error_while_the_other_answers(
    page: Page, server: ChildServer
) -> None:
    open_chat(page, server.base_url)
    page.locator("#chat-settings-open-modal").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Unavailable: OPENAI_API_KEY is not set")
    expect(dialog.locator('[id="agent__openai"]')).to_be_disabled()
    page.keyboard.press("Escape")
    choose_model(page, "offline-2", "fault-500")
    turn = send(page, "One of you will fail")
    failed, healthy = pane(turn, "offline-2"), pane(turn, "offline")
    expect(failed).to_have_attribute("data-status", "error", timeout=STREAM_TIMEOUT_MS)
    expect(failed.locator(".cw-pane-error")).to_be_visible()
    expect(failed.locator(".cw-pane-model")).to_have_text("fault-500")
    expect(healthy).to_have_attribute("data-status", "done", timeout=STREAM_TIMEOUT_MS)
    wait_until_finished(turn)

    body = backend_turn(server.base_url, turn)
    by_agent = {r["agent"]: r for r in body["runs"]}
    assert by_agent["offline"]["status"] == "done"
    assert by_agent["offline-2"]["status"] == "error"
    expect(failed.locator(".cw-pane-error")).to_contain_text(by_agent["offline-2"]["error"]["code"])
    assert_panes_show_backend_outputs(turn, [by_agent["offline"]])
    saved = conversation(server, body["conversation_id"])["metadata"]["ui"]
    assert saved["models"]["offline-2"] == "fault-500"

    page.reload()  # the thread remembers each agent's model
    expect(page.locator(".cw-turn")).to_have_count(1, timeout=30_000)
    page.locator("#chat-settings-open-modal").click()
    expect(page.locator('[id="model__offline-2"]')).to_contain_text("fault-500")


def test_history_reopens_a_conversation_and_continues_it(page: Page, server: ChildServer) -> None:
    open_chat(page, server.base_url)
    turn = send(page, "Remember this conversation")
    wait_until_finished(turn)
    body = backend_turn(server.base_url, turn)
    conversation_id = body["conversation_id"]
    expect(page).to_have_url(re.compile(f"/thread/{conversation_id}$"))
    entry = page.locator(f'[id="thread-{conversation_id}"]')
    expect(entry).to_contain_text(conversation(server, conversation_id)["title"])

    page.reload()
    reopened = page.locator(".cw-turn").first
    expect(reopened.locator(".cw-pane-footer")).to_have_count(2, timeout=30_000)
    assert_panes_show_backend_outputs(reopened, body["runs"])

    page.locator("#new-chat-button").click()
    expect(page.locator(".cw-turn")).to_have_count(0)
    page.locator(f'[id="thread-{conversation_id}"]').click()
    expect(page.locator(".cw-turn")).to_have_count(1, timeout=30_000)
    assert_panes_show_backend_outputs(page.locator(".cw-turn").first, body["runs"])

    follow_up = send(page, "And a follow-up")
    wait_until_finished(follow_up)
    turns = conversation(server, conversation_id)["turns"]
    assert [t["message"] for t in turns] == ["Remember this conversation", "And a follow-up"]
    assert "2 user messages" in backend_turn(server.base_url, follow_up)["runs"][0]["output"]


def test_answers_render_markdown(page: Page, server: ChildServer) -> None:
    """The offline agents quote the question, so markdown in it comes back in the answer."""
    open_chat(page, server.base_url)
    turn = send(page, "Render `inline_code` and **bold words** please")
    wait_until_finished(turn)
    for agent in ("offline", "offline-2"):
        text = pane(turn, agent).locator(".cw-pane-text")
        expect(text.locator("code")).to_have_text("inline_code")
        expect(text).to_contain_text("bold words")
        expect(text).not_to_contain_text("**")


def test_a_deep_link_in_a_fresh_browser_opens_its_conversation(
    page: Page, server: ChildServer
) -> None:
    """No cookie yet: the local user is signed in, then lands on the linked conversation."""
    started = httpx.post(
        f"{server.base_url}/chat/wait", json={"message": "Linked from elsewhere"}, timeout=60
    )
    conversation_id = started.json()["conversation_id"]
    page.goto(f"{server.base_url}/thread/{conversation_id}")
    expect(page).to_have_url(re.compile(f"/thread/{conversation_id}$"), timeout=30_000)
    expect(page.locator(".cw-turn")).to_have_count(1, timeout=30_000)
    main = page.get_by_role("main")
    expect(main.get_by_text("Linked from elsewhere", exact=True)).to_be_visible()

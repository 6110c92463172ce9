"""Regenerate and fuse from the panes, and a full ranking once a fusion adds slot C."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.server import chatwait_server
from tests.browser.ui import STREAM_TIMEOUT_MS, open_chat, send, turn_id, wait_until_finished
from tests.support.processes import ChildServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    with chatwait_server(
        tmp_path_factory.mktemp("browser-compare-actions"),
        SIM_TOKENS_PER_SECOND="40",
        SIM_ANSWER_TOKENS="12",
    ) as running:
        yield running


def stored(server: ChildServer, turn: Locator) -> dict[str, Any]:
    response = httpx.get(f"{server.base_url}/chat/turns/{turn_id(turn)}")
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def expect_pane_shows(turn: Locator, run: dict[str, Any]) -> None:
    """The run's pane holds the output the backend stored for it."""
    assert run["output"]
    text = turn.locator(f'.cw-pane[data-run-id="{run["run_id"]}"] .cw-pane-text')
    expect(text).to_have_attribute("data-raw", run["output"], timeout=STREAM_TIMEOUT_MS)


def test_regenerate_adds_a_pane_with_the_new_answer(page: Page, server: ChildServer) -> None:
    open_chat(page, server.base_url)
    turn = send(page, "Say something twice")
    wait_until_finished(turn)
    first = stored(server, turn)["runs"][0]
    turn.locator(f'.cw-regenerate[data-run-id="{first["run_id"]}"]').click()

    expect(turn.locator(".cw-pane")).to_have_count(3, timeout=30_000)
    wait_until_finished(turn, panes=3)
    expect(turn).to_have_attribute("data-status", "done")
    record = stored(server, turn)
    added = [run for run in record["runs"] if run.get("retry_of") == first["run_id"]]
    assert len(added) == 1 and added[0]["agent"] == first["agent"]
    new = turn.locator(f'.cw-pane[data-run-id="{added[0]["run_id"]}"]')
    expect(new.locator(".cw-pane-badge")).to_have_text("Regenerated")
    expect(new.locator(".cw-pane-agent")).to_have_text(first["agent"])
    for run in record["runs"]:  # the old answers are untouched
        expect_pane_shows(turn, run)


def test_fuse_adds_the_fused_pane(page: Page, server: ChildServer) -> None:
    open_chat(page, server.base_url)
    turn = send(page, "Two answers to fuse")
    wait_until_finished(turn)
    expect(turn.locator(".cw-fuse-agent")).to_have_value("offline")
    turn.locator(".cw-fuse-agent").select_option("offline-2")
    turn.locator('.cw-fuse[data-strategy="merge"]').click()

    expect(turn.locator(".cw-pane")).to_have_count(3, timeout=30_000)
    wait_until_finished(turn, panes=3)
    record = stored(server, turn)
    (fused,) = [run for run in record["runs"] if run.get("fusion")]
    assert fused["agent"] == "offline-2" and fused["fusion"]["strategy"] == "merge"
    pane = turn.locator(f'.cw-pane[data-run-id="{fused["run_id"]}"]')
    expect(pane.locator(".cw-pane-badge")).to_have_text("Fusion · merge")
    for run in record["runs"]:
        expect_pane_shows(turn, run)
    # a fused answer is not offered a regenerate (the retry would not read the answers)
    expect(pane.locator(".cw-regenerate")).to_have_count(0)
    expect(turn.locator(".cw-regenerate")).to_have_count(2)


def test_a_refused_fusion_says_why_and_keeps_the_answers(page: Page, server: ChildServer) -> None:
    open_chat(page, server.base_url)
    turn = send(page, "Fuse me twice at once")
    wait_until_finished(turn)
    before = stored(server, turn)
    # another client adds a run that hangs: the turn runs again, so the click gets a 409
    base = f"{server.base_url}/chat/turns/{turn_id(turn)}"
    body = {"agent": "offline", "strategy": "critique", "model": "fault-hang"}
    started = httpx.post(f"{base}/fuse", json=body)
    assert started.status_code == 202, started.text
    try:
        turn.locator('.cw-fuse[data-strategy="merge"]').click()
        notice = turn.locator(".cw-actions-notice")
        expect(notice).to_contain_text("running", timeout=30_000)
        expect(turn.locator(".cw-pane")).to_have_count(2)
        for run in before["runs"]:
            expect_pane_shows(turn, run)
        expect(turn.locator('.cw-fuse[data-strategy="merge"]')).to_be_enabled()  # try again later
    finally:
        httpx.post(f"{base}/cancel")


def test_blind_fusion_adds_slot_c_and_a_ranking_reveals_the_names(
    page: Page, server: ChildServer
) -> None:
    open_chat(page, server.base_url)
    page.locator("#command-blind").click()
    turn = send(page, "Blind, then fused")
    expect(turn).to_have_attribute("data-blind", "true")
    wait_until_finished(turn)
    expect(turn.locator(".cw-regenerate")).to_have_count(0)  # a blind turn cannot regenerate
    turn.locator('.cw-fuse[data-strategy="merge"]').click()

    expect(turn.locator(".cw-pane")).to_have_count(3, timeout=30_000)
    wait_until_finished(turn, panes=3)
    expect(turn.locator(".cw-pane-agent")).to_have_text(["Answer A", "Answer B", "Answer C"])
    assert "offline" not in turn.inner_text()
    expect(turn.locator(".cw-rank")).to_have_count(3)
    for slot in ("C", "A", "B"):
        turn.locator(f'.cw-rank[data-slot="{slot}"]').click()
    expect(turn.locator(".cw-ranking")).to_have_attribute("data-order", "C,A,B")
    turn.locator(".cw-rank-submit").click()

    expect(turn.locator(".cw-vote-notice")).to_contain_text("your ranking", timeout=30_000)
    expect(turn.locator('.cw-pane[data-hidden="false"]')).to_have_count(3)
    record = stored(server, turn)
    assert record["revealed_at"] is not None
    by_slot = {run["slot"]: run for run in record["runs"]}
    assert by_slot["C"].get("fusion")
    for run in record["runs"]:
        shown = turn.locator(f'.cw-pane[data-run-id="{run["run_id"]}"]')
        expect(shown.locator(".cw-pane-agent")).to_have_text(run["agent"])
    vote = httpx.post(f"{server.base_url}/chat/turns/{turn_id(turn)}/vote", json={"winner": "A"})
    assert vote.status_code == 409  # the ranking was the turn's one vote

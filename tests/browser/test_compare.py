"""Comparing in the UI: a blind battle from prompt to vote to reveal, the leaderboard page,
export and share of the conversation."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.server import chatwait_server
from tests.browser.ui import (
    STREAM_TIMEOUT_MS,
    choose_mode,
    open_chat,
    send,
    turn_id,
    wait_until_finished,
)
from tests.support.processes import ChildServer

pytestmark = pytest.mark.browser

HIDDEN_NOTE = "model, tokens and cost after the vote"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    with chatwait_server(
        tmp_path_factory.mktemp("browser-compare"),
        SIM_TOKENS_PER_SECOND="40",
        SIM_ANSWER_TOKENS="12",
        LEADERBOARD_MIN_BATTLES="1",
        LEADERBOARD_CACHE_SECONDS="0",
    ) as running:
        yield running


def run_command(page: Page, command: str, text: str = "go") -> None:
    """Pick a command from the composer's `/` menu and send it."""
    page.locator("#chat-input").fill("/" + command)
    page.locator("#chat-input").press("Enter")
    page.locator("#chat-input").fill(text)
    page.locator("#chat-submit").click()


def test_a_blind_battle_from_prompt_to_vote_to_reveal(page: Page, server: ChildServer) -> None:
    open_chat(page, server.base_url)
    page.locator("#command-blind").click()  # the blind toggle in the composer
    turn = send(page, "Explain caching in one line")
    expect(turn).to_have_attribute("data-blind", "true")
    wait_until_finished(turn)
    panes = turn.locator(".cw-pane")
    expect(panes).to_have_count(2)
    expect(panes.nth(0).locator(".cw-pane-agent")).to_have_text("Answer A")
    expect(panes.nth(1).locator(".cw-pane-agent")).to_have_text("Answer B")
    expect(turn.locator(".cw-pane-model").nth(0)).to_have_text("")
    for footer in turn.locator(".cw-pane-footer").all():
        expect(footer).to_contain_text(HIDDEN_NOTE)
        expect(footer).not_to_contain_text("$")
        expect(footer).not_to_contain_text("out tokens")
    # nothing on the page names the models while the battle is blind
    assert "offline-1" not in turn.inner_text() and "offline-2" not in turn.inner_text()
    blind = httpx.get(f"{server.base_url}/chat/turns/{turn_id(turn)}").json()
    assert blind["blind"] is True and blind["revealed_at"] is None

    votes = turn.locator(".cw-vote")
    expect(votes).to_have_count(4)
    expect(votes).to_have_text(["A is better", "B is better", "Tie", "Both are bad"])
    turn.locator('.cw-vote[data-winner="A"]').click()

    expect(turn.locator(".cw-battle")).to_have_attribute("data-voted", "true", timeout=30_000)
    expect(turn.locator(".cw-vote")).to_have_count(0)  # one vote per turn
    expect(turn.locator(".cw-vote-notice")).to_contain_text("Vote recorded")
    record = httpx.get(f"{server.base_url}/chat/turns/{turn_id(turn)}").json()
    assert record["revealed_at"] is not None
    for run in record["runs"]:
        shown = turn.locator(f'.cw-pane[data-run-id="{run["run_id"]}"]')
        expect(shown).to_have_attribute("data-hidden", "false")
        expect(shown.locator(".cw-pane-slot")).to_have_text(run["slot"])
        expect(shown.locator(".cw-pane-agent")).to_have_text(run["agent"])
        expect(shown.locator(".cw-pane-model")).to_have_text(run["model"])
        expect(shown.locator(".cw-pane-footer")).not_to_contain_text(HIDDEN_NOTE)
        expect(shown.locator(".cw-pane-footer")).to_contain_text(run["model"])

    # the toggle stays on: the next turn is blind too, and can be revealed without a vote
    second = send(page, "And in two lines?")
    expect(second).to_have_attribute("data-blind", "true")
    wait_until_finished(second)
    second.locator(".cw-reveal").click()
    expect(second.locator(".cw-vote-notice")).to_contain_text("Revealed", timeout=30_000)
    expect(second.locator(".cw-vote")).to_have_count(0)
    expect(second.locator('.cw-pane[data-hidden="false"]')).to_have_count(2)
    refused = httpx.post(
        f"{server.base_url}/chat/turns/{turn_id(second)}/vote", json={"winner": "A"}
    )
    assert refused.status_code == 409


def test_a_blind_battle_in_wait_mode_is_voted_on_like_a_streamed_one(
    page: Page, server: ChildServer
) -> None:
    open_chat(page, server.base_url)
    choose_mode(page, "Wait")
    page.locator("#command-blind").click()
    turn = send(page, "Wait for both, blind")
    expect(turn).to_have_attribute("data-blind", "true")
    expect(turn.locator(".cw-pane-agent")).to_have_text(["Answer A", "Answer B"])
    wait_until_finished(turn)
    assert "offline" not in turn.inner_text()
    turn.locator('.cw-vote[data-winner="both_bad"]').click()
    expect(turn.locator(".cw-vote-notice")).to_contain_text("both bad", timeout=30_000)
    expect(turn.locator('.cw-pane[data-hidden="false"]')).to_have_count(2)


def test_a_blind_turn_reopened_from_history_can_still_be_voted_on(
    page: Page, server: ChildServer
) -> None:
    body = {"message": "Blind, then reopened", "agents": ["offline", "offline-2"], "blind": True}
    record = httpx.post(f"{server.base_url}/chat/wait", json=body, timeout=60).json()
    open_chat(page, server.base_url)
    page.goto(f"{server.base_url}/thread/{record['conversation_id']}")
    turn = page.locator(".cw-turn").first
    expect(turn).to_have_attribute("data-turn-id", record["turn_id"], timeout=30_000)
    expect(turn.locator(".cw-pane-agent")).to_have_text(["Answer A", "Answer B"])
    turn.locator('.cw-vote[data-winner="tie"]').click()
    expect(turn.locator(".cw-vote-notice")).to_contain_text("a tie", timeout=30_000)
    named = httpx.get(f"{server.base_url}/chat/turns/{record['turn_id']}").json()
    expect(turn.locator(".cw-pane-agent")).to_have_text([r["agent"] for r in named["runs"]])


def battle(server: ChildServer, winner: str) -> None:
    """One blind battle over HTTP, voted on."""
    body = {"message": "Say hello", "agents": ["offline", "offline-2"], "blind": True}
    turn = httpx.post(f"{server.base_url}/chat/wait", json=body, timeout=60).json()
    vote = httpx.post(
        f"{server.base_url}/chat/turns/{turn['turn_id']}/vote", json={"winner": winner}
    )
    assert vote.status_code == 200, vote.text


def test_the_leaderboard_page_draws_one_interval_per_ranked_model(
    page: Page, server: ChildServer
) -> None:
    for winner in ("A", "B", "A", "tie"):
        battle(server, winner)
    board = httpx.get(f"{server.base_url}/leaderboard", params={"board": "all"}).json()
    ranked = [item for item in board["items"] if item["rank"] is not None]
    assert len(ranked) == 2

    open_chat(page, server.base_url)
    run_command(page, "leaderboard", "every vote")
    chart = page.locator(".cw-leaderboard svg.cw-lb-ratings")
    expect(chart).to_be_visible(timeout=30_000)
    expect(chart.locator(".cw-lb-bar")).to_have_count(len(ranked))
    expect(chart.locator(".cw-lb-bar .cw-lb-ci")).to_have_count(len(ranked))
    for item in ranked:
        expect(chart.locator(f'.cw-lb-bar[data-model="{item["model"]}"]')).to_have_count(1)
    expect(page.locator(".cw-lb-table .cw-lb-row")).to_have_count(len(board["items"]))
    priced = [item for item in ranked if item["mean_cost_usd"] is not None]
    if priced:
        expect(page.locator("svg.cw-lb-scatter .cw-lb-point")).to_have_count(len(priced))
    else:
        expect(page.locator(".cw-lb-noprice")).to_be_visible()

    # The style-controlled column: one cell per row, showing the server's style rating.
    expect(page.locator(".cw-lb-table .cw-lb-row .cw-lb-style")).to_have_count(len(board["items"]))
    for item in board["items"]:
        cell = page.locator(f'.cw-lb-row[data-model="{item["model"]}"] .cw-lb-style')
        expect(cell).to_have_text(_rounded(item["style_rating"]))
    expect(page.locator(".cw-lb-style-coef")).to_contain_text("length")
    # The toggle charts the style-controlled rating instead of the plain one.
    page.locator(".cw-lb-style-toggle").check()
    expect(page.locator(".cw-leaderboard")).to_have_attribute("data-styled", "yes")
    for item in ranked:
        bar = chart.locator(f'.cw-lb-bar[data-model="{item["model"]}"]')
        expect(bar).to_have_attribute("data-rating", _js_number(item["style_rating"]))
    # The since control asks the server for the board of the last 7 days.
    page.locator(".cw-lb-since").select_option("7d")
    expect(page.locator(".cw-leaderboard")).to_have_attribute("data-since", "7d", timeout=30_000)
    expect(page.locator(".cw-lb-table .cw-lb-row")).to_have_count(len(board["items"]))


def _rounded(value: float) -> re.Pattern[str]:
    """What the table shows of a rating (JS `toFixed(0)`, either way at a half), and an
    optional rank after it."""
    low, high = math.floor(value), math.ceil(value)
    return re.compile(rf"^({low}|{high})( \(#\d+\))?$")


def _js_number(value: float) -> str:
    """A number as JavaScript writes it in an attribute."""
    return str(int(value)) if value == int(value) else repr(value)


def test_share_shows_a_link_that_unshare_revokes_and_export_offers_files(
    page: Page, server: ChildServer
) -> None:
    open_chat(page, server.base_url)
    turn = send(page, "Something worth sharing")
    wait_until_finished(turn)
    expect(page).to_have_url(re.compile(r"/thread/[0-9a-f-]{36}$"), timeout=STREAM_TIMEOUT_MS)

    run_command(page, "share", "share it")
    link = page.locator('a[href*="/shared/"]')
    expect(link).to_have_count(1, timeout=30_000)
    url = link.get_attribute("href")
    assert url
    shared = httpx.get(url)
    assert shared.status_code == 200
    assert shared.json()["turns"][0]["message"] == "Something worth sharing"

    run_command(page, "unshare", "revoke it")
    expect(page.get_by_text("The shared link is revoked")).to_be_visible(timeout=30_000)
    assert httpx.get(url).status_code == 404

    run_command(page, "export", "export it")
    expect(page.get_by_text(re.compile(r"conversation-[0-9a-f-]{36}\.md"))).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_text(re.compile(r"conversation-[0-9a-f-]{36}\.json"))).to_be_visible()

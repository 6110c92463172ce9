"""What a user does in the ChatWait UI, as Playwright steps.

Chainlit's own controls are found by their stable ids (`#chat-input`, `#chat-submit`,
`#stop-button`, `#mode-picker-trigger-mode`, `#chat-settings-open-modal`, `#thread-<id>`);
the panes by the classes and data attributes of `AgentPanes.jsx`.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

STREAM_TIMEOUT_MS = 60_000


OPEN_TIMEOUT_MS = 30_000


def open_chat(page: Page, url: str) -> None:
    """Open the app; it signs the local user in with no login screen.

    A fresh browser has no session yet: Chainlit may render the composer, find no user,
    pass through `/login` (where header auth signs the local user in) and come back, which
    on a busy machine takes seconds: both waits get the same bound.
    """
    page.goto(url + "/")
    expect(page.locator("#mode-picker-trigger-mode")).to_be_visible(timeout=OPEN_TIMEOUT_MS)
    expect(page.locator("#chat-input")).to_be_visible(timeout=OPEN_TIMEOUT_MS)


def send(page: Page, text: str) -> Locator:
    """Send a message; return the panes of the turn it starts."""
    turns = page.locator(".cw-turn")
    before = turns.count()
    page.locator("#chat-input").fill(text)
    page.locator("#chat-submit").click()
    expect(turns).to_have_count(before + 1)
    return turns.nth(before)


def choose_mode(page: Page, name: str) -> None:
    page.locator("#mode-picker-trigger-mode").click()
    page.locator("#mode-picker-popover-mode").get_by_text(name, exact=True).click()
    expect(page.locator("#mode-picker-trigger-mode")).to_contain_text(name)


def choose_model(page: Page, agent: str, model: str) -> None:
    """Pick an agent's model in the chat settings dialog and confirm."""
    page.locator("#chat-settings-open-modal").click()
    page.locator(f'[id="model__{agent}"]').click()
    page.get_by_role("option", name=model, exact=True).click()
    page.locator("#confirm").click()
    expect(page.locator("#confirm")).to_be_hidden()


def pane(turn: Locator, agent: str) -> Locator:
    return turn.locator(f'.cw-pane[data-agent="{agent}"]')


def wait_until_finished(turn: Locator, panes: int = 2) -> None:
    """Every pane ended (a footer is only shown for a finished run)."""
    expect(turn.locator(".cw-pane-footer")).to_have_count(panes, timeout=STREAM_TIMEOUT_MS)


def turn_id(turn: Locator) -> str:
    expect(turn).not_to_have_attribute("data-turn-id", "")
    value = turn.get_attribute("data-turn-id")
    assert value
    return value


def backend_turn(url: str, turn: Locator) -> dict[str, Any]:
    response = httpx.get(f"{url}/chat/turns/{turn_id(turn)}")
    response.raise_for_status()
    return response.json()


def normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def assert_panes_show_backend_outputs(turn: Locator, runs: list[dict[str, Any]]) -> None:
    """Each run's pane holds exactly the output the backend persisted for it."""
    for run in runs:
        text = turn.locator(f'.cw-pane[data-run-id="{run["run_id"]}"] .cw-pane-text')
        expect(text).to_have_attribute("data-raw", run["output"])
        assert normalized(text.inner_text()) == normalized(run["output"])

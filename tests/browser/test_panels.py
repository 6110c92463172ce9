"""The provider-keys panel and the admin's agent switches, as a user sees them.

Both open from the composer's commands (`/keys`, `/agents`). The `openai` agent points at
the offline provider this server mounts and has no server key, so saving a key in the
panel is what makes it available.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.server import chatwait_server
from tests.browser.ui import open_chat
from tests.support.processes import ChildServer
from tests.support.servers import free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    port = free_port()
    with chatwait_server(
        tmp_path_factory.mktemp("browser-panels"),
        port=port,  # type: ignore[arg-type]
        CHATWAIT_SECRET_KEY="browser-" + secrets.token_urlsafe(32),
        OPENAI_BASE_URL=f"http://127.0.0.1:{port}/sim/v1",
        OPENAI_API="chat",  # the offline provider serves Chat Completions only
        OPENAI_MODELS='["offline-1"]',
        OPENAI_DEFAULT_MODEL="offline-1",
    ) as running:
        yield running


def open_panel(page: Page, description: str) -> None:
    """Pick a command from the composer's `/` menu and send it."""
    page.locator("#chat-input").fill("/")
    page.get_by_text(description).click()
    page.locator("#chat-input").fill("open")
    page.locator("#chat-submit").click()


def _agents(server: ChildServer) -> dict[str, dict[str, object]]:
    return {a["name"]: a for a in httpx.get(f"{server.base_url}/models").json()["agents"]}


def test_a_key_saved_in_the_panel_makes_its_agent_available(
    page: Page, server: ChildServer
) -> None:
    assert _agents(server)["openai"]["available"] is False
    open_chat(page, server.base_url)
    open_panel(page, "Your own provider keys")
    row = page.locator('.cw-key-row[data-agent="openai"]')
    expect(row.locator(".cw-key-status")).to_have_text("no key", timeout=30_000)
    expect(page.locator('.cw-key-row[data-agent="offline"]')).to_have_count(0)
    key = "sk-browser-" + secrets.token_urlsafe(16)
    field = row.locator('input[type="password"]')
    field.fill(key)
    row.locator(".cw-key-save").click()
    expect(row.locator(".cw-key-status")).to_have_text(f"your key …{key[-4:]}", timeout=30_000)
    expect(page.get_by_text("Saved your openai key.")).to_be_visible()
    assert key not in page.content()
    listed = httpx.get(f"{server.base_url}/me/provider-keys").json()
    assert [(k["agent"], k["last4"]) for k in listed] == [("openai", key[-4:])]
    assert _agents(server)["openai"]["available"] is True

    row.locator(".cw-key-remove").click()
    expect(row.locator(".cw-key-status")).to_have_text("no key", timeout=30_000)
    assert httpx.get(f"{server.base_url}/me/provider-keys").json() == []


def test_the_admin_switches_an_agent_off_and_on(page: Page, server: ChildServer) -> None:
    open_chat(page, server.base_url)
    open_panel(page, "Switch agents on or off (admins)")
    row = page.locator('.cw-toggle-row[data-agent="offline-2"]')
    switch = row.locator(".cw-toggle-enabled")
    expect(switch).to_be_checked(timeout=30_000)
    switch.click()
    expect(page.get_by_text("offline-2 is off for everyone.")).to_be_visible(timeout=30_000)
    expect(switch).not_to_be_checked()
    assert _agents(server)["offline-2"]["available"] is False
    switch.click()
    expect(page.get_by_text("offline-2 is on for everyone.")).to_be_visible(timeout=30_000)
    assert _agents(server)["offline-2"]["available"] is True

    model = row.locator('.cw-toggle-model[data-model="offline-1"] input')
    expect(model).to_be_checked()
    model.click()
    expect(page.get_by_text("offline-2 allows ")).to_be_visible(timeout=30_000)
    expect(model).not_to_be_checked()
    listed = _agents(server)["offline-2"]
    assert "offline-1" not in listed["models"] and listed["models"]

"""Agents that act, as a user sees them: a tool call row and a reasoning block per pane.

The server runs two configured agents on the offline provider (a config file, as a user
writes one): `tools` calls the calculator a message names, `thinker` streams its
reasoning before the answer. Both rows are collapsed until clicked, and come back from
the stored runs when the conversation is opened again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.server import chatwait_server
from tests.browser.ui import STREAM_TIMEOUT_MS, open_chat, pane, send, wait_until_finished
from tests.support.processes import ChildServer

pytestmark = pytest.mark.browser

CONFIG = """
[[agents]]
name = "tools"
provider = "offline"
model = "offline-tools"
tools = ["calculator"]

[[agents]]
name = "thinker"
provider = "offline"
model = "offline-reasoner"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    workdir = tmp_path_factory.mktemp("browser-tools")
    config = workdir / "agents.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with chatwait_server(
        workdir,
        CHATWAIT_CONFIG=str(config),
        DEFAULT_AGENTS='["tools", "thinker"]',
        SIM_TOKENS_PER_SECOND="40",
        SIM_ANSWER_TOKENS="20",
    ) as running:
        yield running


def test_a_tool_call_and_a_reasoning_block_show_in_their_panes_and_expand(
    page: Page, server: ChildServer
) -> None:
    open_chat(page, server.base_url)
    turn = send(page, 'calculator {"expression": "6*7"}')
    wait_until_finished(turn)

    tool = pane(turn, "tools").locator('.cw-tool[data-tool="calculator"]')
    expect(tool).to_have_attribute("data-state", "done")
    expect(tool.locator(".cw-tool-label")).to_have_text("Used calculator")
    output = tool.locator(".cw-tool-output")
    expect(output).to_be_hidden()  # collapsed until asked for
    tool.locator("summary").click()
    expect(output).to_have_text("42")
    expect(tool.locator(".cw-tool-arguments")).to_contain_text("6*7")
    expect(pane(turn, "tools").locator(".cw-pane-text")).to_contain_text("42")

    reasoning = pane(turn, "thinker").locator(".cw-reasoning")
    expect(reasoning).to_have_attribute("data-live", "false")
    expect(reasoning.locator(".cw-reasoning-label")).to_have_text(
        re.compile(r"^Thought for \d+\.\d s$")
    )
    text = reasoning.locator(".cw-reasoning-text")
    expect(text).to_be_hidden()
    reasoning.locator("summary").click()
    expect(text).not_to_be_empty()
    answer = pane(turn, "thinker").locator(".cw-pane-text")
    expect(answer).not_to_contain_text(text.inner_text()[:20])  # kept apart from the answer

    # the stored runs bring both back when the conversation is opened again
    expect(page).to_have_url(re.compile(r"/thread/[0-9a-f-]{36}$"))
    page.reload()
    again = page.locator(".cw-turn").first
    stored = pane(again, "tools").locator('.cw-tool[data-tool="calculator"]')
    expect(stored).to_have_attribute("data-state", "done", timeout=STREAM_TIMEOUT_MS)
    expect(pane(again, "thinker").locator(".cw-reasoning")).to_have_count(1)

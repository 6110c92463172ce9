"""Playwright (sync API) driving Debian's Chromium; a screenshot of every failure.

Never `playwright install`: the browser is the distribution's `/usr/bin/chromium`.
Without it every browser test skips, saying how to install it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1400, "height": 900}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the item, so fixtures can tell a test failed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} not found: install Debian's Chromium (apt-get install -y chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser context (no cookies) at desktop size; screenshot if the test fails."""
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[attr-defined]
    tab = context.new_page()
    console: list[str] = []
    tab.on(
        "console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None
    )
    yield tab
    failed = any(
        getattr(request.node, f"report_{phase}", None) is not None
        and getattr(request.node, f"report_{phase}").failed
        for phase in ("setup", "call")
    )
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(console), encoding="utf-8")
    context.close()

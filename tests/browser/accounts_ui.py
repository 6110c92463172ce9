"""Signing in to the UI with accounts (`AUTH_MODE=local`), as the browser tests do it."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import DESKTOP
from tests.support.processes import ChildServer

PASSWORD = "a-long-password-1"


def register(server: ChildServer) -> str:
    email = f"u-{uuid.uuid4().hex[:10]}@example.com"
    made = httpx.post(
        f"{server.base_url}/auth/register", json={"email": email, "password": PASSWORD}
    )
    assert made.status_code == 201, made.text
    return email


def api_token(server: ChildServer, email: str) -> str:
    """A token of the test's own (the UI's are out of reach, which is the point)."""
    login = httpx.post(f"{server.base_url}/auth/login", json={"email": email, "password": PASSWORD})
    login.raise_for_status()
    return str(login.json()["access_token"])


def new_tab(browser: Browser) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=DESKTOP)
    return context, context.new_page()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill Chainlit's login page (where the app sends a signed-out browser)."""
    expect(page).to_have_url(re.compile(r"/login"), timeout=30_000)
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("button[type=submit]").click()


def open_signed_in(page: Page, url: str, email: str) -> None:
    """Sign in and wait until the chat can take a message.

    The composer shows before Chainlit's websocket is up; the mode picker comes over it
    (`on_chat_start`), so a message typed once it shows is not sent into the void.
    """
    page.goto(url + "/")
    sign_in(page, email)
    expect(page.locator("#chat-input")).to_be_visible(timeout=30_000)
    expect(page.locator("#mode-picker-trigger-mode")).to_be_visible(timeout=30_000)


def conversation_of(page: Page) -> str:
    expect(page).to_have_url(re.compile(r"/thread/[0-9a-f-]{36}$"), timeout=30_000)
    return page.url.rsplit("/", 1)[1]

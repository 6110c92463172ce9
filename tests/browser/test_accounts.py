"""The UI with accounts (`AUTH_MODE=local`): login page, per-user history, logout, deep
links, refused messages, and the backend's tokens never in the browser."""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.accounts_ui import (
    PASSWORD,
    api_token,
    conversation_of,
    new_tab,
    open_signed_in,
    register,
    sign_in,
)
from tests.browser.server import chatwait_server
from tests.browser.ui import send, wait_until_finished
from tests.support.processes import FAST_SIM_ENV, ChildServer

pytestmark = pytest.mark.browser

MAX_CHARS = 300
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    with chatwait_server(
        tmp_path_factory.mktemp("browser-accounts"),
        AUTH_MODE="local",
        CHATWAIT_SECRET_KEY="test-secret-" + "k" * 40,
        REGISTRATION="open",
        LOGIN_MAX_ATTEMPTS="1000",  # every sign-in here comes from 127.0.0.1
        MAX_MESSAGE_CHARS=str(MAX_CHARS),
        **FAST_SIM_ENV,
    ) as running:
        yield running


def test_the_login_page_refuses_a_wrong_password(page: Page, server: ChildServer) -> None:
    email = register(server)
    page.goto(server.base_url + "/")
    sign_in(page, email, "not-the-password-at-all")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("#chat-input")).to_have_count(0)
    assert httpx.get(server.base_url + "/auth/config").json()["headerAuth"] is False


def test_two_users_each_see_only_their_own_history(browser: Browser, server: ChildServer) -> None:
    alice, bob = register(server), register(server)
    alice_context, alice_page = new_tab(browser)
    bob_context, bob_page = new_tab(browser)
    try:
        open_signed_in(alice_page, server.base_url, alice)
        open_signed_in(bob_page, server.base_url, bob)
        wait_until_finished(send(alice_page, "Alice's own question"))
        alices = conversation_of(alice_page)
        wait_until_finished(send(bob_page, "Bob's own question"))
        bobs = conversation_of(bob_page)

        for page, mine, theirs in ((alice_page, alices, bobs), (bob_page, bobs, alices)):
            page.reload()
            expect(page.locator(f'[id="thread-{mine}"]')).to_be_visible(timeout=30_000)
            expect(page.locator(f'[id="thread-{theirs}"]')).to_have_count(0)
        expect(alice_page.get_by_text("Bob's own question")).to_have_count(0)

        # Bob opening Alice's conversation by its address sees nothing of it
        bob_page.goto(f"{server.base_url}/thread/{alices}")
        expect(bob_page.locator("#chat-input")).to_be_visible(timeout=30_000)
        expect(bob_page.get_by_text("Alice's own question")).to_have_count(0)
        expect(bob_page.locator(".cw-turn")).to_have_count(0)

        # and the backend holds each conversation under its own user
        alice_token, bob_token = api_token(server, alice), api_token(server, bob)
        for token, mine, theirs in ((alice_token, alices, bobs), (bob_token, bobs, alices)):
            headers = {"Authorization": f"Bearer {token}"}
            listed = httpx.get(f"{server.base_url}/conversations", headers=headers).json()
            assert [c["id"] for c in listed["items"]] == [mine]
            foreign = httpx.get(f"{server.base_url}/conversations/{theirs}", headers=headers)
            assert foreign.status_code == 404
    finally:
        alice_context.close()
        bob_context.close()


def _sessions(server: ChildServer, email: str) -> list[tuple[str | None, str | None]]:
    database = Path(server.log_path).parent / "data" / "chatwait.db"
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT s.revoked_at, s.revoked_reason FROM auth_sessions s "
            "JOIN users u ON u.id = s.user_id WHERE lower(u.email) = lower(?)",
            (email,),
        ).fetchall()
    return [(row[0], row[1]) for row in rows]


def test_logout_revokes_the_backend_session(browser: Browser, server: ChildServer) -> None:
    email = register(server)
    context, page = new_tab(browser)
    try:
        open_signed_in(page, server.base_url, email)
        wait_until_finished(send(page, "Before signing out"))
        conversation = conversation_of(page)
        assert _sessions(server, email) == [(None, None)]  # the UI's one sign-in, live
        cookies = context.cookies()

        page.locator("#user-nav-button").click()
        page.get_by_role("menuitem", name=re.compile("log ?out", re.I)).click()
        expect(page).to_have_url(re.compile(r"/login"), timeout=30_000)
        [(revoked_at, reason)] = _sessions(server, email)
        assert revoked_at is not None and reason == "logout"

        # the old cookie, replayed in a fresh browser, is signed out too
        replay, replayed = new_tab(browser)
        try:
            replay.add_cookies(cookies)  # type: ignore[arg-type]
            replayed.goto(f"{server.base_url}/thread/{conversation}")
            expect(replayed).to_have_url(re.compile(r"/login"), timeout=30_000)
            threads = replay.request.post(
                f"{server.base_url}/project/threads",
                data={"pagination": {"first": 20}, "filter": {}},
            )
            assert threads.status == 401
        finally:
            replay.close()
    finally:
        context.close()


def test_a_deep_link_opens_its_conversation_after_login(page: Page, server: ChildServer) -> None:
    email = register(server)
    headers = {"Authorization": f"Bearer {api_token(server, email)}"}
    started = httpx.post(
        f"{server.base_url}/chat/wait",
        json={"message": "Deep-linked question"},
        headers=headers,
        timeout=60,
    )
    conversation = started.json()["conversation_id"]

    page.goto(f"{server.base_url}/thread/{conversation}")
    sign_in(page, email)
    expect(page).to_have_url(re.compile(f"/thread/{conversation}$"), timeout=30_000)
    turn = page.locator(".cw-turn")
    expect(turn).to_have_count(1, timeout=30_000)
    expect(page.get_by_role("main").get_by_text("Deep-linked question", exact=True)).to_be_visible()


def test_a_refused_message_stays_in_the_composer(page: Page, server: ChildServer) -> None:
    open_signed_in(page, server.base_url, register(server))
    text = "far too long " * (MAX_CHARS // 10)
    assert len(text) > MAX_CHARS
    page.locator("#chat-input").fill(text)
    page.locator("#chat-submit").click()
    expect(page.locator(".cw-turn")).to_contain_text(f"the limit is {MAX_CHARS}", timeout=30_000)
    expect(page.locator("#chat-input")).to_have_value(text)
    # a message that fits is then sent as usual
    wait_until_finished(send(page, "short enough"))


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def test_the_backends_tokens_never_reach_the_browser(browser: Browser, server: ChildServer) -> None:
    """Everything the browser holds or receives: no backend access or refresh token."""
    context, page = new_tab(browser)
    seen: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: seen.append(str(f))))

    def keep(response: Any) -> None:
        with contextlib.suppress(Exception):  # redirects and aborted requests have no body
            seen.append(response.text())

    page.on("response", keep)
    try:
        open_signed_in(page, server.base_url, register(server))
        wait_until_finished(send(page, "Is my token safe?"))  # the UI used its token
        conversation_of(page)
        page.reload()
        expect(page.locator(".cw-turn")).to_have_count(1, timeout=30_000)
        storage = page.evaluate(
            "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage),"
            " document.cookie])"
        )
        held = [storage, page.content(), json.dumps(context.cookies())]
        assert any("Is my token safe?" in text for text in seen)  # frames and answers were recorded
        everything = "\n".join(seen + held)
        assert "cwr_" not in everything  # the refresh tokens' prefix
        for token in JWT.findall(everything):
            claims = _payload(token)
            assert claims.get("iss") != "chatwait" and "sid" not in claims, claims
    finally:
        context.close()


FOREIGN_PAGE = b"<!doctype html><title>another site</title><p>elsewhere</p>"

PROBE = """async ([target, conversation]) => {
  const outcome = async (promise) => {
    try {
      const response = await promise;
      if (response.type === "opaque") return "opaque";
      return "read " + response.status + " " + (await response.text()).slice(0, 200);
    } catch (error) {
      return "blocked";
    }
  };
  const json = { "content-type": "application/json" };
  const plain = { "content-type": "text/plain" };
  const threads = JSON.stringify({ pagination: { first: 20 }, filter: {} });
  const results = {
    user: await outcome(fetch(target + "/user", { credentials: "include" })),
    threads: await outcome(fetch(target + "/project/threads",
      { method: "POST", credentials: "include", headers: json, body: threads })),
    thread: await outcome(fetch(target + "/project/thread/" + conversation,
      { credentials: "include" })),
    rename: await outcome(fetch(target + "/project/thread", { method: "PUT",
      credentials: "include", headers: json,
      body: JSON.stringify({ threadId: conversation, name: "renamed by a stranger" }) })),
    delete: await outcome(fetch(target + "/project/thread", { method: "DELETE",
      credentials: "include", headers: json, body: JSON.stringify({ threadId: conversation }) })),
    blindRename: await outcome(fetch(target + "/project/thread", { method: "POST",
      mode: "no-cors", credentials: "include", headers: plain,
      body: JSON.stringify({ threadId: conversation, name: "renamed blind" }) })),
    blindLogout: await outcome(fetch(target + "/logout",
      { method: "POST", mode: "no-cors", credentials: "include" })),
    blindHeaderLogin: await outcome(fetch(target + "/auth/header",
      { method: "POST", mode: "no-cors", credentials: "include" })),
    api: await outcome(fetch(target + "/conversations/" + conversation,
      { credentials: "include" })),
  };
  results.socket = await new Promise((resolve) => {
    // engine.io greets an accepted socket at once ("0{...}"): a refusal closes it instead
    const socket = target.replace("http", "ws") + "/ws/socket.io/?EIO=4&transport=websocket";
    const ws = new WebSocket(socket);
    const timer = setTimeout(() => resolve("no answer"), 20000);
    const end = (outcome) => { clearTimeout(timer); resolve(outcome); };
    ws.onmessage = (event) => { end("message " + event.data); ws.close(); };
    ws.onerror = () => end("refused");
    ws.onclose = () => end("refused");
  });
  return results;
}"""


@contextlib.contextmanager
def foreign_site() -> Iterator[str]:
    """A page on another port of the same machine: same-site, so cookies go along."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(FOREIGN_PAGE)))
            self.end_headers()
            self.wfile.write(FOREIGN_PAGE)

        def log_message(self, *args: object) -> None:
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}"
    finally:
        site.shutdown()
        site.server_close()
        thread.join()


def test_a_page_on_another_port_cannot_read_or_change_anything(
    browser: Browser, server: ChildServer
) -> None:
    email = register(server)
    context, page = new_tab(browser)
    try:
        open_signed_in(page, server.base_url, email)
        wait_until_finished(send(page, "Private question"))
        conversation = conversation_of(page)
        headers = {"Authorization": f"Bearer {api_token(server, email)}"}
        before = httpx.get(f"{server.base_url}/conversations/{conversation}", headers=headers)

        own = "async (t) => (await fetch(t + '/user', {credentials: 'include'})).status"
        assert page.evaluate(own, server.base_url) == 200  # what the probe would see if let in
        with foreign_site() as elsewhere:
            stranger = context.new_page()  # same browser, same cookies, another origin
            stranger.goto(elsewhere + "/")
            results = stranger.evaluate(PROBE, [server.base_url, conversation])
        for name, outcome in results.items():
            assert outcome in ("blocked", "opaque", "refused"), (name, outcome)

        after = httpx.get(f"{server.base_url}/conversations/{conversation}", headers=headers)
        assert after.status_code == 200
        assert after.json()["title"] == before.json()["title"]
        assert len(after.json()["turns"]) == 1
        # and the user is still signed in: the blind logout did not go through
        page.reload()
        expect(page.locator(".cw-turn")).to_have_count(1, timeout=30_000)
        assert [revoked for revoked, _ in _sessions(server, email)] == [None, None]
    finally:
        context.close()


def test_ui_sign_ins_are_throttled_per_browser_address(tmp_path: Path) -> None:
    """The UI passes the browser's address on: one noisy client does not lock out all."""
    with chatwait_server(
        tmp_path,
        AUTH_MODE="local",
        CHATWAIT_SECRET_KEY="test-secret-" + "t" * 40,
        REGISTRATION="open",
        LOGIN_MAX_ATTEMPTS="2",
    ) as small:
        email = register(small)

        def attempt(address: str, username: str, password: str) -> int:
            # what uvicorn makes of a request a local proxy forwards for this client
            return httpx.post(
                f"{small.base_url}/login",
                data={"username": username, "password": password},
                headers={"X-Forwarded-For": address},
            ).status_code

        noisy, other = "198.51.100.7", "198.51.100.8"
        for _ in range(2):
            assert attempt(noisy, f"x-{uuid.uuid4().hex[:8]}@example.com", "wrong" * 3) == 401
        assert attempt(noisy, email, PASSWORD) == 401  # right password, too many attempts
        assert attempt(other, email, PASSWORD) == 200  # another browser is not locked out


def _rotations(server: ChildServer, email: str) -> int:
    """Refresh tokens spent by the user's sessions: one per refresh."""
    database = Path(server.log_path).parent / "data" / "chatwait.db"
    with sqlite3.connect(database) as db:
        (count,) = db.execute(
            "SELECT count(*) FROM refresh_tokens r JOIN auth_sessions s ON s.id = r.session_id "
            "JOIN users u ON u.id = s.user_id WHERE lower(u.email) = lower(?) "
            "AND r.used_at IS NOT NULL",
            (email,),
        ).fetchone()
    return int(count)


def test_a_ui_session_outlives_its_access_tokens(page: Page, tmp_path: Path) -> None:
    """Access tokens of 3 s: the UI server refreshes them; every turn still answers."""
    with chatwait_server(
        tmp_path,
        AUTH_MODE="local",
        CHATWAIT_SECRET_KEY="test-secret-" + "r" * 40,
        REGISTRATION="open",
        ACCESS_TOKEN_MINUTES="0.05",
        **FAST_SIM_ENV,
    ) as short:
        email = register(short)
        open_signed_in(page, short.base_url, email)
        turns = 0
        while _rotations(short, email) < 2:  # each turn takes its own time to answer
            assert turns < 20, "the UI never refreshed its token"
            turn = send(page, f"Question {turns}")
            wait_until_finished(turn)
            expect(turn.locator('.cw-pane[data-status="done"]')).to_have_count(2)
            if turns == 0:
                # Chainlit now moves to /thread/<id> and renders the chat again from its
                # history; a message sent meanwhile lands in the view being replaced.
                conversation_of(page)
                page.wait_for_load_state("networkidle")
            turns += 1
        page.reload()  # the sidebar and history, with a refreshed token too
        expect(page.locator(".cw-turn")).to_have_count(turns, timeout=30_000)
        [(revoked_at, _)] = _sessions(short, email)
        assert revoked_at is None  # no refresh token was ever used twice

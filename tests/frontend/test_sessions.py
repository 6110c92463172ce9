"""The UI's server-side sign-ins against a real AUTH_MODE=local backend.

`SessionStore` keeps each user's backend tokens under a handle; `ApiDataLayer` and the
chat code call the API with the token of the handle the request is for. Over real HTTP:
sign-in, per-user data, refresh when the access token is due, logout revoking the
backend session, and a call made for nobody refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator

import pytest
from chainlit.types import Pagination, ThreadFilter
from fastapi import HTTPException

from chatwait_ui.api import ApiClient
from chatwait_ui.data_layer import ApiDataLayer
from chatwait_ui.guard import UiGuard, is_loopback_client
from chatwait_ui.sessions import HANDLE_PREFIX, SessionStore, UiCredentials, current_handle
from tests.accounts._support import bearer, local_app, new_email, new_password


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_app(tmp_path_factory.mktemp("ui-sessions")) as (url, _):
        yield url


@pytest.fixture
async def store(backend: str) -> AsyncIterator[SessionStore]:
    api = ApiClient(backend)
    sessions = SessionStore(api)
    api.credentials = UiCredentials(sessions)
    yield sessions
    await api.aclose()


async def account(store: SessionStore) -> tuple[str, str]:
    email, password = new_email(), new_password()
    body = {"email": email, "password": password}
    made = await store.api.http.post("/auth/register", json=body)
    assert made.status_code == 201
    return email, password


async def test_sign_in_keeps_the_tokens_behind_a_handle(backend: str, store: SessionStore) -> None:
    email, password = await account(store)
    assert await store.login(email, "wrong-password-here") is None
    signed_in = await store.login(email, password)
    assert signed_in is not None
    handle, session = signed_in
    assert handle.startswith(HANDLE_PREFIX) and handle in store
    assert session.access_token not in handle and session.refresh_token not in handle
    assert session.access_token not in repr(session)
    assert session.email == email
    me = await store.api.http.get("/me", headers=bearer(session.access_token))
    assert me.json()["email"] == email


async def test_each_call_acts_for_the_handle_it_runs_for(backend: str, store: SessionStore) -> None:
    layer = ApiDataLayer(store.api, sessions=store)
    users = []
    for _ in range(2):
        email, password = await account(store)
        signed_in = await store.login(email, password)
        assert signed_in is not None
        handle, session = signed_in
        started = await store.api.http.post(
            "/chat/wait",
            json={"message": f"from {email}"},
            headers=bearer(session.access_token),
            timeout=60,
        )
        users.append((handle, started.json()["conversation_id"]))
    (first, first_conv), (second, second_conv) = users
    for handle, mine, theirs in (
        (first, first_conv, second_conv),
        (second, second_conv, first_conv),
    ):
        reset = current_handle.set(handle)
        try:
            assert (await layer.get_user(handle)) is not None
            page = await layer.list_threads(Pagination(first=20), ThreadFilter(userId=handle))
            assert [t["id"] for t in page.data] == [mine]
            assert await layer.get_thread_author(mine) == handle
            assert await layer.get_thread_author(theirs) == ""
            assert await layer.get_thread(theirs) is None
        finally:
            current_handle.reset(reset)
    with pytest.raises(HTTPException) as nobody:
        await layer.list_threads(Pagination(first=20), ThreadFilter())
    assert nobody.value.status_code == 401
    assert await layer.get_user(HANDLE_PREFIX + "unknown") is None


async def test_a_due_access_token_is_refreshed_once_and_the_old_pair_is_spent(
    backend: str, store: SessionStore
) -> None:
    email, password = await account(store)
    signed_in = await store.login(email, password)
    assert signed_in is not None
    handle, session = signed_in
    old = dataclasses.replace(session)
    assert await store.token(handle) == old.access_token  # not due: no refresh
    session.expires_at = 0.0  # due now
    fresh = await store.token(handle)
    assert fresh is not None and fresh != old.access_token
    assert session.refresh_token != old.refresh_token  # rotated
    assert (await store.api.http.get("/me", headers=bearer(fresh))).status_code == 200
    # a token the backend refused is replaced, the one just issued is not refreshed again
    assert await store.token(handle, stale="some-other-token") == fresh


async def test_logout_revokes_the_backend_session(backend: str, store: SessionStore) -> None:
    email, password = await account(store)
    signed_in = await store.login(email, password)
    assert signed_in is not None
    handle, session = signed_in
    access, refresh = session.access_token, session.refresh_token
    await store.logout(handle)
    assert handle not in store and await store.token(handle) is None
    assert (await store.api.http.get("/me", headers=bearer(access))).status_code == 401
    again = await store.api.http.post("/auth/refresh", json={"refresh_token": refresh})
    assert again.status_code == 401


async def test_a_session_whose_refresh_is_refused_is_forgotten(
    backend: str, store: SessionStore
) -> None:
    email, password = await account(store)
    signed_in = await store.login(email, password)
    assert signed_in is not None
    handle, session = signed_in
    await store.api.http.post("/auth/logout", headers=bearer(session.access_token))
    session.expires_at = 0.0
    assert await store.token(handle) is None
    assert handle not in store


def test_only_loopback_addresses_are_this_machine() -> None:
    for address in ("127.0.0.1", "127.3.4.5", "::1", "[::1]"):
        assert is_loopback_client(address), address
    for address in (None, "", "10.0.0.5", "203.0.113.9", "::ffff:8.8.8.8", "localhost"):
        assert not is_loopback_client(address), address


async def test_the_guard_drops_a_cookie_whose_session_is_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chainlit.auth.jwt import create_jwt
    from chainlit.user import User

    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "test-secret-" + "s" * 32)
    seen: list[list[tuple[bytes, bytes]]] = []

    async def app(scope: dict, receive: object, send: object) -> None:
        seen.append(list(scope["headers"]))

    known = {HANDLE_PREFIX + "live"}
    guard = UiGuard(app, known=known.__contains__)  # type: ignore[arg-type]
    for handle in (HANDLE_PREFIX + "live", HANDLE_PREFIX + "gone"):
        cookie = f"theme=dark; access_token={create_jwt(User(identifier=handle))}"
        scope = {"type": "http", "headers": [(b"cookie", cookie.encode())], "client": ("1", 1)}
        await guard(scope, None, None)  # type: ignore[arg-type]
    live, gone = seen
    assert b"access_token=" in dict(live)[b"cookie"]
    assert dict(gone)[b"cookie"] == b"theme=dark"


async def test_sessions_left_unused_are_dropped_at_the_next_sign_in(
    backend: str, store: SessionStore
) -> None:
    first = await store.login(*await account(store))
    assert first is not None
    store.max_idle_seconds = 0.0  # everything already signed in is now too old
    second = await store.login(*await account(store))
    assert second is not None
    assert first[0] not in store and second[0] in store


async def test_a_refused_token_is_refreshed_and_the_call_retried_once(
    backend: str, store: SessionStore
) -> None:
    """Requests and streams alike: the backend's 401 is answered with a refresh."""
    signed_in = await store.login(*await account(store))
    assert signed_in is not None
    handle, session = signed_in
    reset = current_handle.set(handle)
    try:
        session.access_token = "not-a-token-the-backend-knows"
        assert (await store.api.conversations())["total"] == 0
        assert session.access_token != "not-a-token-the-backend-knows"

        session.access_token = "not-a-token-the-backend-knows"
        async with store.api.open_stream(body={"message": "hello"}) as source:
            assert source.response.status_code == 200
        assert (await store.api.conversations())["total"] == 1
    finally:
        current_handle.reset(reset)

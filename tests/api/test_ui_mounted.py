"""The API answers the same with the UI mounted at `/` (the default) as without it.

Chainlit's catch-all used to answer API paths the API routes did not fully match:
`GET /chat/wait` with 200 text/html, `PUT /chat/wait` with `405 Allow: GET` and
`{"detail": …}`. Each check runs against `chatwait` with `CHATWAIT_UI=true` and with
`false`, and the two must agree; the UI's own paths must still be the UI's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

from tests.browser.server import chatwait_server as ui_server
from tests.support.databases import throwaway_database
from tests.support.processes import chatwait_server

MISSING = "00000000-0000-0000-0000-000000000000"
FOREIGN = "http://localhost:1"
CHECKS = [
    ("GET", "/chat/wait", 405, "POST"),
    ("PUT", "/chat/wait", 405, "POST"),
    ("DELETE", "/chat/streaming", 405, "POST"),
    ("PUT", f"/conversations/{MISSING}", 405, "DELETE, GET, PATCH"),
    ("POST", "/models", 405, "GET"),
    ("GET", "/auth/login", 405, "POST"),
    ("GET", "/chat/nope", 404, None),
    ("GET", "/conversations/not/a/route", 404, None),
    ("GET", f"/conversations/{MISSING}", 404, None),
    ("GET", "/me/nothing", 404, None),
    ("GET", "/admin", 404, None),
]


class Served(NamedTuple):
    base_url: str
    ui: bool


@pytest.fixture(scope="module", params=["ui", "api-only"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    directory: Path = tmp_path_factory.mktemp(request.param)
    if request.param == "ui":
        with ui_server(directory) as running:
            yield Served(running.base_url, ui=True)
        return
    with throwaway_database(directory) as database, chatwait_server(directory, database) as running:
        yield Served(running.base_url, ui=False)


@pytest.mark.parametrize(("method", "path", "status", "allow"), CHECKS)
def test_api_paths_answer_json(
    server: Served, method: str, path: str, status: int, allow: str | None
) -> None:
    response = httpx.request(method, server.base_url + path)
    assert response.status_code == status, response.text[:200]
    assert response.headers["content-type"].startswith("application/json")
    assert set(response.json()) == {"error"} and response.json()["error"]["code"]
    assert response.headers.get("allow") == allow


def test_api_routes_still_answer(server: Served) -> None:
    assert httpx.get(server.base_url + "/me").json()["role"] == "admin"
    waited = httpx.post(server.base_url + "/chat/wait", json={"message": "hi"}, timeout=60)
    assert waited.status_code == 200


def test_no_origin_but_our_own_gets_cors(server: Served) -> None:
    """Chainlit's paths too: its config said `allow_origins = ["*"]` with credentials."""
    for path in ("/chat/wait", "/project/threads", "/auth/header", "/user"):
        preflight = httpx.options(
            server.base_url + path,
            headers={"Origin": FOREIGN, "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers, path
        simple = httpx.get(server.base_url + path, headers={"Origin": FOREIGN})
        assert "access-control-allow-origin" not in simple.headers, path


def test_other_origins_cannot_sign_in_to_the_ui(server: Served) -> None:
    """The header-auth cookie a page on another port could get (and then read threads)."""
    refused = httpx.post(server.base_url + "/auth/header", headers={"Origin": FOREIGN})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "cross_origin"


def test_header_sign_in_is_for_this_machine_only(server: Served) -> None:
    """AUTH_MODE=none: the local user is whoever connects from a loopback address."""
    if not server.ui:
        pytest.skip("no UI mounted")
    local = httpx.post(server.base_url + "/auth/header")
    assert local.status_code == 200 and "access_token" in local.cookies
    # what uvicorn makes of a request a local proxy forwards for a remote client
    remote = httpx.post(
        server.base_url + "/auth/header", headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert remote.status_code == 401 and "access_token" not in remote.cookies


def test_the_ui_is_still_the_ui(server: Served) -> None:
    page = httpx.get(server.base_url + "/")
    if not server.ui:
        assert page.status_code == 404 and page.json()["error"]["code"] == "not_found"
        return
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy and "img-src 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    deep = httpx.get(server.base_url + f"/thread/{MISSING}")
    assert deep.status_code == 200 and "text/html" in deep.headers["content-type"]
    config = httpx.get(server.base_url + "/auth/config")
    assert config.status_code == 200 and "headerAuth" in config.json()

"""Every API route but health and the credential-issuing ones answers 401 without a token.

The routes come from the server's own OpenAPI document, so a route added later is
checked too, and the test fails if the list it skips ever grows by accident.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.accounts._support import bearer, signed_up

OPEN = {
    ("GET", "/healthz"),
    ("GET", "/shared/{token}"),
    ("POST", "/auth/login"),
    ("POST", "/auth/register"),
    ("POST", "/auth/refresh"),
}
PLACEHOLDERS = {"key_id": "0123456789abcdef"}


def _operations(client: httpx.Client) -> list[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = client.get("/openapi.json").json()["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


def _url(path: str) -> str:
    return re.sub(
        r"\{(\w+)\}",
        lambda m: PLACEHOLDERS.get(m[1], "00000000-0000-0000-0000-000000000000"),
        path,
    )


def test_the_open_routes_are_exactly_these(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    unsecured = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if not op.get("security")
    }
    assert unsecured == OPEN


@pytest.mark.parametrize("credential", [None, "garbage", "cw_0123456789abcdef_nope"])
def test_every_protected_route_wants_a_bearer(client: httpx.Client, credential: str | None) -> None:
    checked = 0
    for method, path in _operations(client):
        if (method, path) in OPEN:
            continue
        headers = bearer(credential) if credential else {}
        response = client.request(method, _url(path), headers=headers, json={})
        assert response.status_code == 401, (method, path, response.text)
        expected = 'Bearer error="invalid_token"' if credential else "Bearer"
        assert response.headers["www-authenticate"] == expected, (method, path)
        code = "invalid_token" if credential else "not_authenticated"
        assert response.json()["error"]["code"] == code
        checked += 1
    assert checked >= 15


def test_credentials_are_read_from_the_authorization_header_only(client: httpx.Client) -> None:
    account = signed_up(client)
    token = account.access_token
    assert client.get("/me", params={"access_token": token}).status_code == 401
    assert client.get("/me", headers={"Cookie": f"access_token={token}"}).status_code == 401
    assert client.get("/me", headers={"Authorization": f"Basic {token}"}).status_code == 401
    assert client.get("/me", headers={"Authorization": f"bearer {token}"}).status_code == 200


def test_the_open_routes_need_nothing(client: httpx.Client) -> None:
    assert client.get("/healthz").status_code == 200
    refresh = client.post("/auth/refresh", json={"refresh_token": "cwr_unknown"})
    assert refresh.status_code == 401 and refresh.json()["error"]["code"] == "invalid_refresh_token"
    assert client.get("/sim/v1/models").status_code == 200, "the offline provider stays open"


def test_offline_agents_answer_in_local_mode(client: httpx.Client) -> None:
    account = signed_up(client)
    waited = client.post("/chat/wait", json={"message": "hello"}, headers=account.auth)
    assert waited.status_code == 200, waited.text
    assert {run["status"] for run in waited.json()["runs"]} == {"done"}

"""REGISTRATION=closed, and login attempts limited per client IP and per email (429)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.accounts._support import Account, admin_of, local_app, login, new_email, new_password

LIMIT = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    directory: Path = tmp_path_factory.mktemp("closed")
    settings = {"REGISTRATION": "closed", "LOGIN_MAX_ATTEMPTS": LIMIT}
    with local_app(directory, **settings) as running:
        yield running


def _from(ip: str) -> dict[str, str]:
    """Requests as if from `ip`: the test server trusts 127.0.0.1 as a proxy."""
    return {"X-Forwarded-For": ip}


def test_closed_registration_is_403(client: httpx.Client) -> None:
    response = client.post(
        "/auth/register", json={"email": new_email(), "password": new_password()}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "registration_closed"


def _throttled(response: httpx.Response) -> bool:
    if response.status_code != 429:
        return False
    assert response.json()["error"]["code"] == "too_many_attempts"
    assert 1 <= int(response.headers["retry-after"]) <= 300
    return True


def test_logins_per_email_are_limited_from_any_ip(client: httpx.Client, database_url: str) -> None:
    admin = admin_of(client, database_url)  # one login, from 127.0.0.1
    wrong = Account("", admin.email, "wrong-password-123")
    answers = [login(client, wrong, **_from(f"10.1.0.{i}")) for i in range(LIMIT)]
    assert [r.status_code for r in answers] == [401] * LIMIT
    assert _throttled(login(client, wrong, **_from("10.1.0.99")))
    assert _throttled(login(client, admin, **_from("10.1.0.100"))), "even the right password"


def test_logins_per_ip_are_limited_across_emails(client: httpx.Client) -> None:
    ip = _from("10.2.0.1")
    answers = [login(client, Account("", new_email(), new_password()), **ip) for _ in range(LIMIT)]
    assert [r.status_code for r in answers] == [401] * LIMIT
    assert _throttled(login(client, Account("", new_email(), new_password()), **ip))
    other_ip = login(client, Account("", new_email(), new_password()), **_from("10.2.0.2"))
    assert other_ip.status_code == 401


def test_a_successful_login_clears_its_email_count(client: httpx.Client, database_url: str) -> None:
    admin = admin_of(client, database_url)
    wrong = Account("", admin.email, "wrong-password-123")
    for i in range(LIMIT - 1):
        assert login(client, wrong, **_from(f"10.3.0.{i}")).status_code == 401
    assert login(client, admin, **_from("10.3.1.1")).status_code == 200
    for i in range(LIMIT - 1):
        assert login(client, wrong, **_from(f"10.3.2.{i}")).status_code == 401

"""Admins over HTTP: the first from the CLI, then users made, promoted and disabled."""

from __future__ import annotations

import httpx
import pytest

from tests.accounts._support import (
    Account,
    admin_of,
    bearer,
    login,
    new_email,
    new_password,
    signed_up,
)


@pytest.fixture(scope="module")
def admin(client: httpx.Client, database_url: str) -> Account:
    return admin_of(client, database_url)


def test_the_cli_made_an_admin(client: httpx.Client, admin: Account) -> None:
    assert client.get("/me", headers=admin.auth).json()["role"] == "admin"


def test_non_admins_get_403_on_every_admin_route(client: httpx.Client) -> None:
    user = signed_up(client)
    calls = [
        client.get("/admin/users", headers=user.auth),
        client.post(
            "/admin/users",
            json={"email": new_email(), "password": new_password()},
            headers=user.auth,
        ),
        client.patch(f"/admin/users/{user.id}", json={"role": "admin"}, headers=user.auth),
    ]
    for response in calls:
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert client.get("/me", headers=user.auth).json()["role"] == "user"


def test_admins_create_and_list_users(client: httpx.Client, admin: Account) -> None:
    email, password = new_email(), new_password()
    made = client.post(
        "/admin/users", json={"email": email, "password": password}, headers=admin.auth
    )
    assert made.status_code == 201
    assert made.json()["role"] == "user" and made.json()["disabled"] is False
    listed = client.get("/admin/users", headers=admin.auth).json()["users"]
    assert {"id": made.json()["id"], "email": email} in [
        {"id": u["id"], "email": u["email"]} for u in listed
    ]
    assert all("password" not in str(sorted(u)) for u in listed)
    assert login(client, Account("", email, password)).status_code == 200
    taken = client.post(
        "/admin/users", json={"email": email, "password": password}, headers=admin.auth
    )
    assert taken.status_code == 409


def test_promotion_takes_effect_at_once(client: httpx.Client, admin: Account) -> None:
    user = signed_up(client)
    assert client.get("/admin/users", headers=user.auth).status_code == 403  # cached: user
    promoted = client.patch(f"/admin/users/{user.id}", json={"role": "admin"}, headers=admin.auth)
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    assert client.get("/admin/users", headers=user.auth).status_code == 200


def test_a_disabled_user_is_locked_out_at_once(client: httpx.Client, admin: Account) -> None:
    user = signed_up(client)
    key = client.post("/me/api-keys", json={"name": "k"}, headers=user.auth).json()["key"]
    assert client.get("/me", headers=user.auth).status_code == 200  # both cached now
    assert client.get("/me", headers=bearer(key)).status_code == 200
    refresh = user.refresh_token

    disabled = client.patch(f"/admin/users/{user.id}", json={"disabled": True}, headers=admin.auth)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert client.get("/me", headers=user.auth).status_code == 401
    assert client.get("/me", headers=bearer(key)).status_code == 401
    assert client.post("/auth/refresh", json={"refresh_token": refresh}).status_code == 401
    refused = login(client, user)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_credentials"

    client.patch(f"/admin/users/{user.id}", json={"disabled": False}, headers=admin.auth)
    assert login(client, user).status_code == 200
    assert client.get("/me", headers=bearer(key)).status_code == 200, "keys outlive a disable"


def test_an_admin_cannot_lock_themselves_out(client: httpx.Client, admin: Account) -> None:
    for change in ({"disabled": True}, {"role": "user"}):
        response = client.patch(f"/admin/users/{admin.id}", json=change, headers=admin.auth)
        assert response.status_code == 409
    assert client.get("/me", headers=admin.auth).json()["role"] == "admin"


def test_unknown_users_are_404(client: httpx.Client, admin: Account) -> None:
    response = client.patch(
        "/admin/users/00000000-0000-0000-0000-000000000000",
        json={"disabled": True},
        headers=admin.auth,
    )
    assert response.status_code == 404

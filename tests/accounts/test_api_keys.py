"""API keys over HTTP: shown once, listed without the key, used as a bearer, deleted, expired."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from tests.accounts._support import bearer, execute, signed_up


def _create(client: httpx.Client, auth: dict[str, str], **body: object) -> httpx.Response:
    return client.post("/me/api-keys", json={"name": "script", **body}, headers=auth)


def test_a_key_is_shown_once_and_works_as_a_bearer(client: httpx.Client) -> None:
    account = signed_up(client)
    made = _create(client, account.auth)
    assert made.status_code == 201
    body = made.json()
    assert re.fullmatch(r"cw_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", body["key"])
    assert body["key"].startswith(body["prefix"]) and body["name"] == "script"
    assert body["id"] in body["key"] and body["expires_at"] is None
    me = client.get("/me", headers=bearer(body["key"]))
    assert me.status_code == 200 and me.json()["id"] == account.id
    assert client.get("/conversations", headers=bearer(body["key"])).status_code == 200


def test_the_list_never_holds_the_key_and_shows_last_use(client: httpx.Client) -> None:
    account = signed_up(client)
    key = _create(client, account.auth).json()
    before = client.get("/me/api-keys", headers=account.auth).json()["api_keys"]
    assert [k["id"] for k in before] == [key["id"]]
    assert before[0]["last_used_at"] is None
    assert client.get("/models", headers=bearer(key["key"])).status_code == 200
    listing = client.get("/me/api-keys", headers=account.auth)
    (listed,) = listing.json()["api_keys"]
    assert key["key"] not in listing.text and "key" not in listed
    assert set(listed) == {"id", "name", "prefix", "created_at", "last_used_at", "expires_at"}
    assert listed["last_used_at"] is not None


def test_keys_are_per_user(client: httpx.Client) -> None:
    alice, bob = signed_up(client), signed_up(client)
    key = _create(client, alice.auth).json()
    assert client.get("/me/api-keys", headers=bob.auth).json() == {"api_keys": []}
    foreign = client.delete(f"/me/api-keys/{key['id']}", headers=bob.auth)
    missing = client.delete("/me/api-keys/0123456789abcdef", headers=bob.auth)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert client.get("/me", headers=bearer(key["key"])).json()["id"] == alice.id


def test_a_deleted_key_stops_at_once(client: httpx.Client) -> None:
    account = signed_up(client)
    key = _create(client, account.auth).json()
    assert client.get("/me", headers=bearer(key["key"])).status_code == 200  # now cached
    assert client.delete(f"/me/api-keys/{key['id']}", headers=account.auth).status_code == 204
    refused = client.get("/me", headers=bearer(key["key"]))
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_token"
    assert client.get("/me/api-keys", headers=account.auth).json() == {"api_keys": []}


def test_a_key_with_a_wrong_secret_is_refused(client: httpx.Client) -> None:
    account = signed_up(client)
    key = _create(client, account.auth).json()["key"]
    tampered = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert client.get("/me", headers=bearer(tampered)).status_code == 401


def test_expiry(client: httpx.Client, database_url: str) -> None:
    account = signed_up(client)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    refused = _create(client, account.auth, expires_at=past)
    assert refused.status_code == 422
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    key = _create(client, account.auth, expires_at=soon).json()
    assert key["expires_at"] is not None
    # Expire it where it is stored (before its first use, so nothing cached it).
    execute(
        database_url,
        "UPDATE api_keys SET expires_at = :at WHERE id = :id",
        at=datetime.now(UTC) - timedelta(seconds=1),
        id=key["id"],
    )
    expired = client.get("/me", headers=bearer(key["key"]))
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "invalid_token"


def test_an_api_key_cannot_log_out(client: httpx.Client) -> None:
    account = signed_up(client)
    key = _create(client, account.auth).json()["key"]
    response = client.post("/auth/logout", headers=bearer(key))
    assert response.status_code == 403
    assert client.get("/me", headers=bearer(key)).status_code == 200

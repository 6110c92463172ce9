"""Register and log in over HTTP: the bodies, the codes, one answer for every wrong login."""

from __future__ import annotations

import httpx

from tests.accounts._support import (
    Account,
    execute,
    login,
    new_email,
    new_password,
    signed_up,
)
from tests.reliability._db import query


def test_register_answers_the_new_account(client: httpx.Client) -> None:
    email = new_email()
    response = client.post("/auth/register", json={"email": email, "password": new_password()})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "role"}
    assert body["email"] == email and body["role"] == "user"


def test_a_taken_email_is_409_whatever_its_case(client: httpx.Client) -> None:
    email = new_email()
    first = client.post("/auth/register", json={"email": email, "password": new_password()})
    assert first.status_code == 201
    again = client.post("/auth/register", json={"email": email.upper(), "password": new_password()})
    assert again.status_code == 409 and again.json()["error"]["code"] == "email_taken"


def test_short_passwords_and_bad_emails_are_refused(client: httpx.Client) -> None:
    short = client.post("/auth/register", json={"email": new_email(), "password": "x" * 11})
    assert short.status_code == 422 and short.json()["error"]["code"] == "weak_password"
    bad = client.post("/auth/register", json={"email": "not-an-email", "password": new_password()})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_email"


def test_login_gives_a_bearer_pair_that_works(client: httpx.Client) -> None:
    account = signed_up(client)
    response = login(client, account)
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and 0 < body["expires_in"] <= 15 * 60
    assert response.headers["cache-control"] == "no-store"
    me = client.get("/me", headers=account.auth)
    assert me.status_code == 200
    assert me.json() == {"id": account.id, "email": account.email, "role": "user"}


def test_login_ignores_the_case_of_the_email(client: httpx.Client) -> None:
    account = signed_up(client)
    shouted = Account(account.id, account.email.upper(), account.password)
    assert login(client, shouted).status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_401(client: httpx.Client) -> None:
    account = signed_up(client)
    wrong = client.post("/auth/login", json={"email": account.email, "password": "nope" * 4})
    unknown = client.post("/auth/login", json={"email": new_email(), "password": "nope" * 4})
    malformed = client.post("/auth/login", json={"email": "nobody", "password": "nope" * 4})
    for response in (wrong, unknown, malformed):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert wrong.content == unknown.content == malformed.content
    assert wrong.json()["error"]["code"] == "invalid_credentials"


def test_a_password_hashed_with_old_parameters_is_rehashed_at_login(
    client: httpx.Client, database_url: str
) -> None:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    account = signed_up(client)
    weak = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1),))
    old_hash = weak.hash(account.password)
    execute(
        database_url,
        "UPDATE users SET password_hash = :h WHERE id = :id",
        h=old_hash,
        id=account.id,
    )
    assert login(client, account).status_code == 200
    (row,) = query(database_url, "SELECT password_hash FROM users WHERE id = :id", id=account.id)
    assert row["password_hash"] != old_hash
    assert (
        row["password_hash"].startswith("$argon2id$") and "m=65536,t=3,p=4" in row["password_hash"]
    )
    assert login(client, account).status_code == 200, "the new hash verifies"

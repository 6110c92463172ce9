"""Refresh rotation, reuse detection and logout, over HTTP: what stops working, and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt

from chatwait.accounts.tokens import AccessTokens
from tests.accounts._support import SECRET_KEY, bearer, login, signed_up
from tests.reliability._db import query


def _refresh(client: httpx.Client, token: str) -> httpx.Response:
    return client.post("/auth/refresh", json={"refresh_token": token})


def _invalid_token(response: httpx.Response) -> bool:
    return (
        response.status_code == 401
        and response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    )


def test_refresh_rotates_the_pair(client: httpx.Client) -> None:
    account = signed_up(client)
    response = _refresh(client, account.refresh_token)
    assert response.status_code == 200
    pair = response.json()
    assert pair["refresh_token"] != account.refresh_token
    assert pair["access_token"] != account.access_token
    assert client.get("/me", headers=bearer(pair["access_token"])).json()["id"] == account.id
    assert _refresh(client, pair["refresh_token"]).status_code == 200, "the new one is good"


def test_a_spent_refresh_token_revokes_the_whole_session(
    client: httpx.Client, database_url: str
) -> None:
    account = signed_up(client)
    first_access, spent = account.access_token, account.refresh_token
    newest = _refresh(client, spent).json()

    replay = _refresh(client, spent)
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "invalid_refresh_token"
    assert _refresh(client, newest["refresh_token"]).status_code == 401, "newest one too"
    for access in (first_access, newest["access_token"]):
        assert _invalid_token(client.get("/me", headers=bearer(access)))
    reasons = query(
        database_url,
        "SELECT revoked_reason FROM auth_sessions WHERE user_id = :id",
        id=account.id,
    )
    assert reasons == [{"revoked_reason": "refresh_reuse"}]


def test_reuse_revokes_only_that_session(client: httpx.Client) -> None:
    account = signed_up(client)
    other_session = (account.access_token, account.refresh_token)
    assert login(client, account).status_code == 200
    spent = account.refresh_token
    _refresh(client, spent)
    assert _refresh(client, spent).status_code == 401
    assert client.get("/me", headers=bearer(other_session[0])).status_code == 200
    assert _refresh(client, other_session[1]).status_code == 200


def test_logout_ends_the_session_at_once(client: httpx.Client) -> None:
    account = signed_up(client)
    assert client.get("/me", headers=account.auth).status_code == 200  # now cached
    response = client.post("/auth/logout", headers=account.auth)
    assert response.status_code == 204
    assert _invalid_token(client.get("/me", headers=account.auth))
    assert _refresh(client, account.refresh_token).status_code == 401
    assert client.post("/auth/logout", headers=account.auth).status_code == 401


def test_unknown_refresh_tokens_are_401(client: httpx.Client) -> None:
    response = _refresh(client, "cwr_" + "x" * 43)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_refresh_token"


def test_expired_forged_and_unsigned_access_tokens_are_refused(client: httpx.Client) -> None:
    account = signed_up(client)
    claims = jwt.decode(account.access_token, options={"verify_signature": False})
    assert {"sub", "sid", "jti", "exp", "iat"} <= set(claims)
    assert claims["sub"] == account.id
    assert claims["exp"] - claims["iat"] == 10 * 60
    codec = AccessTokens(SECRET_KEY, timedelta(minutes=10))
    expired = codec.issue(
        user_id=account.id,
        session_id=claims["sid"],
        now=datetime.now(UTC) - timedelta(minutes=11),
    )
    forged = AccessTokens("another-secret-" + "x" * 32, timedelta(minutes=10)).issue(
        user_id=account.id, session_id=claims["sid"], now=datetime.now(UTC)
    )
    unsigned = jwt.encode(claims, key="", algorithm="none")
    for token in (expired, forged, unsigned, account.access_token + "x"):
        assert _invalid_token(client.get("/me", headers=bearer(token)))
    valid_again = codec.issue(user_id=account.id, session_id=claims["sid"], now=datetime.now(UTC))
    assert client.get("/me", headers=bearer(valid_again)).status_code == 200, "the key is right"

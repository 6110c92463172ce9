"""The accounts migration keeps the one local user, and AUTH_MODE=none goes on as before."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from chatwait.store import Database, repo
from tests.accounts._support import execute
from tests.reliability._db import query
from tests.support.app import running_app
from tests.support.databases import throwaway_database


async def _local_user_on_0001(url: str) -> str:
    """A database as the release before accounts left it: the local user and a chat.

    Plain SQL: the models already have the new columns, which 0001 does not.
    """
    db = Database(url)
    try:
        await db.upgrade("0001")
    finally:
        await db.dispose()
    user_id, now = str(uuid.uuid4()), datetime.now(UTC)
    execute(
        url,
        "INSERT INTO users (id, identifier, created_at) VALUES (:id, :name, :now)",
        id=user_id,
        name=repo.LOCAL_USER,
        now=now,
    )
    execute(
        url,
        "INSERT INTO conversations (id, user_id, title, metadata, created_at, updated_at) "
        "VALUES (:id, :user, 'before', '{}', :now, :now)",
        id=str(uuid.uuid4()),
        user=user_id,
        now=now,
    )
    return user_id


async def test_the_local_user_survives_up_down_up(tmp_path: Path) -> None:
    with throwaway_database(tmp_path) as url:
        user_id = await _local_user_on_0001(url)
        db = Database(url)
        try:
            await db.upgrade()
            (row,) = query(url, "SELECT id, identifier, email, role, disabled FROM users")
            assert row["id"] == user_id and row["identifier"] == "local"
            assert row["email"] is None and row["role"] == "user" and not row["disabled"]
            await db.downgrade("0001")
            assert query(url, "SELECT id FROM users") == [{"id": user_id}]
            await db.upgrade()
            assert query(url, "SELECT title FROM conversations") == [{"title": "before"}]
        finally:
            await db.dispose()


async def test_auth_mode_none_is_the_local_user(tmp_path: Path) -> None:
    with throwaway_database(tmp_path) as url:
        user_id = await _local_user_on_0001(url)
        with running_app(tmp_path, DATABASE_URL=url) as (base_url, _):
            async with httpx.AsyncClient(base_url=base_url) as client:
                me = await client.get("/me", headers={"Authorization": "Bearer ignored"})
                assert me.json() == {"id": user_id, "email": None, "role": "admin"}
                page = (await client.get("/conversations")).json()
                assert [c["title"] for c in page["items"]] == ["before"]
                for path in ("/auth/login", "/auth/register"):
                    refused = await client.post(path, json={"email": "a@b.co", "password": "x"})
                    assert refused.status_code == 404
                    assert refused.json()["error"]["code"] == "auth_disabled"
                keys = await client.get("/me/api-keys")
                assert keys.json()["error"]["code"] == "auth_disabled"

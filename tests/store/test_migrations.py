"""Alembic: upgrade from empty, downgrade to base, upgrade again, on SQLite and Postgres."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from chatwait.store import Database
from chatwait.store.models import Base
from tests.support.databases import postgres_admin_url, postgres_database

TABLES = set(Base.metadata.tables)
"""Every table the models declare; the migrations must build exactly these."""


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    admin = postgres_admin_url()
    if not admin:
        pytest.skip("CHATWAIT_TEST_POSTGRES_URL is not set")
    with postgres_database(admin) as url:
        yield url


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    return names - {"alembic_version"}


async def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.upgrade()
        assert await _tables(db) == TABLES
        await db.downgrade("base")
        assert await _tables(db) == set()
        await db.upgrade()
        assert await _tables(db) == TABLES
    finally:
        await db.dispose()


async def test_migrations_match_the_models(database_url: str) -> None:
    """The schema Alembic builds has every column the models declare."""
    db = Database(database_url)
    try:
        await db.upgrade()
        async with db.engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {
                    table: {c["name"] for c in inspect(sync).get_columns(table)} for table in TABLES
                }
            )
        for table in TABLES:
            assert columns[table] == {c.name for c in Base.metadata.tables[table].columns}
    finally:
        await db.dispose()

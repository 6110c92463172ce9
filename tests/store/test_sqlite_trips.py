"""SQLite statements take one trip to aiosqlite's thread and answer as SQLAlchemy's own
adapter does: rows, RETURNING, rowcounts, many-row inserts, errors and rollback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from chatwait.store import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}")
    async with database.session() as session:
        await session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT UNIQUE)"))
    try:
        yield database
    finally:
        await database.dispose()


async def test_rows_returning_rowcounts_and_many_rows(db: Database) -> None:
    async with db.session() as session:
        many = await session.execute(
            text("INSERT INTO notes (body) VALUES (:body)"), [{"body": "a"}, {"body": "b"}]
        )
        assert many.rowcount == 2
        returned = await session.execute(
            text("INSERT INTO notes (body) VALUES ('c') RETURNING id, body")
        )
        assert returned.all() == [(3, "c")]
        updated = await session.execute(text("UPDATE notes SET body = body || '!'"))
        assert updated.rowcount == 3
        rows = await session.execute(text("SELECT id, body FROM notes ORDER BY id"))
        assert list(rows.keys()) == ["id", "body"]
        assert rows.all() == [(1, "a!"), (2, "b!"), (3, "c!")]
        none = await session.execute(text("SELECT body FROM notes WHERE id = 99"))
        assert none.first() is None


async def test_a_failing_statement_raises_sqlalchemys_error_and_rolls_back(db: Database) -> None:
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with db.session() as session:
            await session.execute(text("INSERT INTO notes (body) VALUES ('same')"))
            await session.execute(text("INSERT INTO notes (body) VALUES ('same')"))
    async with db.session() as session:  # nothing of the failed transaction stayed
        count = await session.scalar(text("SELECT count(*) FROM notes"))
    assert count == 0


async def test_a_statement_is_one_trip_to_the_sqlite_thread(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips: list[str] = []
    queue = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: object, *args: object) -> object:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await queue(self, fn, *args)  # type: ignore[arg-type]

    async with db.session() as session:
        await session.execute(text("SELECT 1"))  # the transaction has begun
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        await session.execute(text("INSERT INTO notes (body) VALUES ('x')"))
        found = await session.scalar(text("SELECT body FROM notes"))
        monkeypatch.undo()
    assert found == "x"
    assert len(trips) == 2, trips  # SQLAlchemy's own adapter takes 3 and 4

"""Engine, sessions and migrations for SQLite (aiosqlite) or Postgres (psycopg 3)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from chatwait.store import _sqlite_trips

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside the writer; foreign keys make deletes cascade."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN, see `_sqlite_begin`


def _sqlite_begin(connection: Any) -> None:
    """Take the write lock when a transaction begins, not at its first write.

    A deferred transaction that reads (the user, the conversation) then writes cannot
    upgrade its lock once another connection has committed: SQLite answers "database is
    locked" at once, without waiting (a 500 for a fraction of 400 concurrent turn starts).
    BEGIN IMMEDIATE waits for the lock (busy_timeout) instead, so transactions queue.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(url: str) -> Config:
    """Alembic pointed at our migrations and `url`, without needing alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class Database:
    """One async engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _ensure_sqlite_dir(url)
            # One trip to SQLite's thread per statement (`_sqlite_trips`), aiosqlite URLs only.
            driver = {"module": _sqlite_trips.dbapi()} if url.startswith("sqlite+aiosqlite") else {}
            self.engine: AsyncEngine = create_async_engine(url, **driver)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        else:
            self.engine = create_async_engine(
                url, pool_size=10, max_overflow=20, pool_pre_ping=True
            )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._turnstile = contextlib.nullcontext() if not self.is_sqlite else asyncio.Lock()
        """SQLite has one writer: sessions queue here, in order, instead of in SQLite's busy
        handler, which gave up after busy_timeout under a few hundred concurrent turns."""

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session committed on success and rolled back on error: no half-written rows."""
        async with self._turnstile, self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def upgrade(self, revision: str = "head") -> None:
        await self._alembic(lambda conn, cfg: command.upgrade(cfg, revision))

    async def downgrade(self, revision: str = "base") -> None:
        await self._alembic(lambda conn, cfg: command.downgrade(cfg, revision))

    async def _alembic(self, action: Any) -> None:
        def run(connection: Connection) -> None:
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            action(connection, config)

        async with self.engine.begin() as connection:
            await connection.run_sync(run)

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:" and not path.startswith(":"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)

"""Bring the schema to head at start-up, safely when several replicas start at once.

Two `alembic upgrade` runs racing on a fresh database both try to create the same tables
and one start-up fails. A session-level advisory lock, held on a connection of its own
while the upgrade runs on another, makes replicas upgrade one after the other; the later
ones find the schema at head and do nothing. SQLite is one process: no lock needed.
"""

from __future__ import annotations

from sqlalchemy import text

from chatwait.store.db import Database

MIGRATION_LOCK_KEY = 0x63_68_61_74_77_61_69_74
"""The advisory lock's id: "chatwait" in ASCII, fits a signed 64-bit integer."""


async def upgrade_database(db: Database) -> None:
    """`db.upgrade()`, serialized across processes on Postgres."""
    if db.is_sqlite:
        await db.upgrade()
        return
    async with db.engine.connect() as lock:
        await lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        try:
            await db.upgrade()
        finally:
            await lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})

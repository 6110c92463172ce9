"""Alembic environment: the URL comes from settings, the metadata from `store.models`
(and `store.rate_window` and `store.compare_models`, whose tables live apart).

`Database.upgrade` hands in an open connection (`config.attributes["connection"]`); the
`alembic` command line gets its URL from `Settings` and runs on its own async engine.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from chatwait.store import compare_models, rate_window  # noqa: F401  (their tables join the metadata)
from chatwait.store.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        from chatwait.config import get_settings

        url = get_settings().resolved_database_url
    asyncio.run(_run_with_own_engine(url))


main()

"""Throwaway databases for tests: a SQLite file, or a fresh Postgres database.

Set `CHATWAIT_TEST_POSTGRES_URL` (e.g. postgresql://postgres@127.0.0.1:5432/test) to run
against Postgres: each user of `throwaway_database` gets a database of its own, created
through that URL and dropped afterwards. Unset, everything runs on SQLite.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POSTGRES_URL_ENV = "CHATWAIT_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_URL_ENV) or None


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty Postgres database; yields its SQLAlchemy URL, drops it after."""
    import psycopg

    name = f"chatwait_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_plain(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = _plain(admin_url).rsplit("/", 1)[0]
    try:
        yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    finally:
        with psycopg.connect(_plain(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def throwaway_database(directory: Path) -> Iterator[str]:
    """Postgres when configured, else a SQLite file in `directory`."""
    admin = postgres_admin_url()
    if admin:
        with postgres_database(admin) as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{(directory / 'chatwait.db').as_posix()}"

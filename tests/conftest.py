"""Shared fixtures: the real app on a real socket, with SQLite or Postgres."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from chatwait.store import Database
from tests.support.app import running_app


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a ChatWait server shared by one test module."""
    with running_app(tmp_path_factory.mktemp("app")) as (base_url, _settings):
        yield base_url


@pytest.fixture(scope="module")
def client(app_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_url, timeout=60) as http:
        yield http


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database of the test's own, for tests below the HTTP layer."""
    database = Database(f"sqlite+aiosqlite:///{(tmp_path / 'chatwait.db').as_posix()}")
    await database.upgrade()
    yield database
    await database.dispose()

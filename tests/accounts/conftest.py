"""One AUTH_MODE=local server per test module (SQLite, or Postgres with the env switch)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.accounts._support import local_app


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of a local-mode server shared by one test module."""
    with local_app(tmp_path_factory.mktemp("accounts")) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: tuple[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0], timeout=60) as http:
        yield http


@pytest.fixture(scope="module")
def database_url(server: tuple[str, str]) -> str:
    return server[1]

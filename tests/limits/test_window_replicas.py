"""Without Redis, turns per minute hold across two servers sharing one database (real HTTP).

Each server is the real app on a socket of its own with its own engine, and no REDIS_URL:
the window is rows of the shared database (a SQLite file, or Postgres with
CHATWAIT_TEST_POSTGRES_URL). A server stopped and started again on the same database is
a restart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from chatwait.api import create_app
from tests.limits._support import QUICK, row_counts
from tests.reliability._db import query
from tests.support import app as served
from tests.support.databases import throwaway_database
from tests.support.servers import free_port, serve_in_thread


@contextmanager
def server(directory: Path, database_url: str, per_minute: int) -> Iterator[httpx.Client]:
    """A server on `database_url` with no Redis; a client of it."""
    port = free_port()
    settings = served.test_settings(
        directory, database_url, port, LIMIT_TURNS_PER_MINUTE=per_minute, REDIS_URL=None
    )
    with (
        serve_in_thread(create_app(settings), port=port) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


def _turns(client: httpx.Client) -> dict[str, object]:
    usage: dict[str, object] = client.get("/me/usage").json()["limits"]["turns_per_minute"]
    return usage


def _refused_by_the_rate(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["limit"] == "turns_per_minute"
    assert response.headers["RateLimit-Policy"] == '"turns";q=3;w=60'
    reset = re.fullmatch(r'"turns";r=0;t=(\d+)', response.headers["RateLimit"])
    retry_after = int(response.headers["Retry-After"])
    assert reset is not None and 1 <= int(reset.group(1)) <= retry_after <= 60
    return retry_after


def test_turns_alternated_between_two_servers_count_together(tmp_path: Path) -> None:
    with (
        throwaway_database(tmp_path) as url,
        server(tmp_path / "a", url, 3) as a,
        server(tmp_path / "b", url, 3) as b,
    ):
        for replica, left in ((a, 2), (b, 1), (a, 0)):
            answer = replica.post("/chat/wait", json=QUICK)
            assert answer.status_code == 200, answer.text
            assert answer.headers["RateLimit"].startswith(f'"turns";r={left};t=')
        before = row_counts(url)
        for replica in (b, a):
            _refused_by_the_rate(replica.post("/chat/wait", json=QUICK))
        assert row_counts(url) == before, "a refused turn creates nothing"
        for replica in (a, b):
            usage = _turns(replica)
            assert usage["used"] == 3 and usage["remaining"] == 0
            assert usage["resets_at"] is not None


def test_parallel_starts_on_two_servers_let_exactly_the_limit_in(tmp_path: Path) -> None:
    with (
        throwaway_database(tmp_path) as url,
        server(tmp_path / "a", url, 3) as a,
        server(tmp_path / "b", url, 3) as b,
    ):
        with ThreadPoolExecutor(8) as pool:
            answers = list(
                pool.map(lambda n: (a, b)[n % 2].post("/chat/wait", json=QUICK), range(12))
            )
        admitted = [r for r in answers if r.status_code == 200]
        assert len(admitted) == 3, [r.status_code for r in answers]
        for refused in (r for r in answers if r.status_code != 200):
            _refused_by_the_rate(refused)
        assert row_counts(url)["turns"] == 3
        assert query(url, "SELECT count(*) AS n FROM turn_rate_window")[0]["n"] == 3


def test_the_minute_survives_a_restart(tmp_path: Path) -> None:
    with throwaway_database(tmp_path) as url:
        with server(tmp_path / "first", url, 3) as first:
            for _ in range(3):
                assert first.post("/chat/wait", json=QUICK).status_code == 200
            waited = _refused_by_the_rate(first.post("/chat/wait", json=QUICK))
        with server(tmp_path / "again", url, 3) as again:
            retry_after = _refused_by_the_rate(again.post("/chat/wait", json=QUICK))
            assert retry_after <= waited, "the same oldest start, closer to leaving the minute"
            usage = _turns(again)
            assert usage["used"] == 3 and usage["remaining"] == 0

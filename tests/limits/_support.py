"""A ChatWait with limits set, and an offline provider that counts the requests it gets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from chatwait.sim import SimConfig, create_sim_app
from tests.reliability._db import query
from tests.support.app import running_app
from tests.support.servers import serve_in_thread

QUICK = {"message": "hi", "agents": ["offline"]}
HANG = {"message": "Hold on", "agents": ["offline"], "models": {"offline": "fault-hang"}}
TABLES = ("conversations", "turns", "runs", "turn_leases", "idempotency_keys")


class CountingSim:
    """The offline provider, counting the chat requests that reach it."""

    def __init__(self) -> None:
        self.app: ASGIApp = create_sim_app(
            SimConfig(ttft_ms=5, tokens_per_second=2000, answer_tokens=8)
        )
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/chat/completions"):
            self.requests += 1
        await self.app(scope, receive, send)


@contextmanager
def counting_sim() -> Iterator[tuple[CountingSim, str]]:
    sim = CountingSim()
    with serve_in_thread(sim) as url:
        yield sim, f"{url}/v1"


@contextmanager
def limited_app(directory: Path, **settings: Any) -> Iterator[tuple[httpx.Client, str]]:
    """A server with these settings; yields (client, its database URL)."""
    with (
        running_app(directory, **settings) as (url, resolved),
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client, resolved.resolved_database_url


def row_counts(database_url: str) -> dict[str, int]:
    return {t: query(database_url, f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in TABLES}


def next_utc_midnight() -> dt.datetime:
    today = dt.datetime.now(dt.UTC).date()
    return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

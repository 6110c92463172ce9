"""Leaks: after rounds of concurrent turns, the objects a turn makes are all let go.

The server runs in this process (a uvicorn thread, over real HTTP), so the garbage
collector can count what it holds: live `LiveTurn`s and `LiveRun`s, and asyncio tasks.
After a warm-up round (pools, caches, first imports) sets the baseline, more rounds of
streaming and wait turns must bring every count back to it (and the turns and runs to
what they were before any turn): one object kept per turn
shows as tens per round. Resident memory, which the allocator's arenas and SQLite's page
cache move for reasons of their own, is only bounded by the `slow` load test.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import httpx
import pytest

from chatwait.turns import LiveRun, LiveTurn
from tests.reliability._checks import assert_well_formed
from tests.reliability._sse_raw import read_until
from tests.support.app import running_app
from tests.support.eventually import eventually

AGENTS = ["offline", "offline-2"]
PER_ROUND = 15
"""Streaming turns and as many wait turns, at once."""
ROUNDS = 3


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("leaks"), EVENT_LOG_MAX_TURNS=20) as (url, _):
        yield url


def _counts() -> dict[str, int]:
    """What the process holds, after a full collection."""
    gc.collect()
    objects = gc.get_objects()
    return {
        "LiveTurn": sum(1 for o in objects if isinstance(o, LiveTurn)),
        "LiveRun": sum(1 for o in objects if isinstance(o, LiveRun)),
        "asyncio tasks": sum(1 for o in objects if isinstance(o, asyncio.Task)),
    }


async def _streaming(client: httpx.AsyncClient, n: int) -> None:
    body = {"message": f"leak stream {n}", "agents": AGENTS}
    cut = await read_until(client, "POST", "/chat/streaming", cut_after_bytes=None, json_body=body)
    assert_well_formed(cut.events)
    assert [e.data["status"] for e in cut.events if e.type == "run_done"] == ["done", "done"]


async def _wait(client: httpx.AsyncClient, n: int) -> None:
    response = await client.post("/chat/wait", json={"message": f"leak wait {n}", "agents": AGENTS})
    assert response.status_code == 200, response.text[:300]
    assert [r["status"] for r in response.json()["runs"]] == ["done", "done"]


async def _round(base_url: str, offset: int) -> None:
    limits = httpx.Limits(max_connections=2 * PER_ROUND + 5)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        await asyncio.gather(
            *(_streaming(client, offset + n) for n in range(PER_ROUND)),
            *(_wait(client, offset + n) for n in range(PER_ROUND)),
        )


def _back_to(baseline: dict[str, int], *keys: str) -> dict[str, int] | None:
    counts = _counts()
    return counts if all(counts[k] <= baseline[k] for k in keys or baseline) else None


def test_turns_leave_no_live_turn_run_or_task_behind(base_url: str) -> None:
    before = _counts()
    asyncio.run(_round(base_url, 0))
    # The warm-up round starts what lives as long as the server (sse-starlette's
    # shutdown watcher): the task baseline is taken after it, once its turns are gone.
    # The server ends a request's task a moment after the client read its last byte.
    baseline = eventually(
        lambda: _back_to(before, "LiveTurn", "LiveRun"),
        timeout=30,
        interval=0.1,
        message=lambda: f"still held after the warm-up round: {_counts()} vs {before}",
    )
    print(f"before any turn: {before}; after the warm-up round: {baseline}")
    for r in range(1, ROUNDS + 1):
        asyncio.run(_round(base_url, r * PER_ROUND))
        counts = eventually(
            lambda: _back_to(baseline),
            timeout=30,
            interval=0.1,
            message=lambda r=r: f"still held after round {r}: {_counts()} vs {baseline}",
        )
        print(f"after round {r}: {counts}")

"""Load: hundreds of concurrent turns against a real process; all complete.

A `chatwait` process (its provider a separate offline-provider process, so the load
generator and the provider do not share its CPU) takes rounds of N streaming turns of
two agents plus N wait turns, all at once. Every turn must complete with every run
`done` and persisted, and no response may be a 5xx.

A per-turn leak is caught by `test_leaks.py`, which counts the turns, runs and tasks an
in-process server still holds. Resident memory is only bounded in the `slow` 200 + 200
version here: it must stay near what it was after the first three rounds (the in-process
event log is capped by EVENT_LOG_MAX_TURNS). The allocator's arenas (and SQLite's page
caches, as the file grows) settle over the first rounds of 200 + 200: measured over six,
297, 308, 306, 307, 306, 307 MiB, and in one CI run still 8 MiB up in the third round
(299, 308, 316, 319 MiB).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.reliability._checks import assert_well_formed
from tests.reliability._db import query, runs_by_status
from tests.reliability._figures import record_figure
from tests.reliability._sse_raw import read_until
from tests.support.databases import throwaway_database
from tests.support.processes import ChildServer, chatwait_server, sim_server
from tests.support.sse import texts_by_run

LOG_CAP = 100
MAX_GROWTH_MIB = 10.0
"""Over the last two rounds. Unbounded retention of finished turns alone grows ~20 MiB."""
SETTLING_ROUNDS = 3
AGENTS = ["offline", "offline-2"]


@dataclass(frozen=True)
class Target:
    server: ChildServer
    database_url: str


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    directory: Path = tmp_path_factory.mktemp("load")
    with (
        sim_server(directory / "sim", ttft_ms=20, tokens_per_second=200, answer_tokens=24) as sim,
        throwaway_database(directory) as database,
        chatwait_server(
            directory / "server",
            database,
            OFFLINE_BASE_URL=f"{sim.base_url}/v1",
            EVENT_LOG_MAX_TURNS=LOG_CAP,
            RUN_TIMEOUT_SECONDS=120,
            PROVIDER_TIMEOUT_SECONDS=60,
            LOG_LEVEL="WARNING",
        ) as server,
    ):
        yield Target(server, database)


async def _streaming_turn(client: httpx.AsyncClient, n: int) -> str:
    body = {"message": f"load stream {n}", "agents": AGENTS}
    cut = await read_until(client, "POST", "/chat/streaming", cut_after_bytes=None, json_body=body)
    assert_well_formed(cut.events)
    assert [e.data["status"] for e in cut.events if e.type == "run_done"] == ["done", "done"]
    assert all(texts_by_run(cut.events).values())
    return cut.turn_id


async def _wait_turn(client: httpx.AsyncClient, n: int) -> str:
    response = await client.post("/chat/wait", json={"message": f"load wait {n}", "agents": AGENTS})
    assert response.status_code == 200, response.text[:300]
    assert [r["status"] for r in response.json()["runs"]] == ["done", "done"]
    return str(response.json()["turn_id"])


async def _round(base_url: str, streaming: int, waiting: int, offset: int) -> list[str]:
    limits = httpx.Limits(max_connections=streaming + waiting + 10)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        return list(
            await asyncio.gather(
                *(_streaming_turn(client, offset + n) for n in range(streaming)),
                *(_wait_turn(client, offset + n) for n in range(waiting)),
            )
        )


def _settled_rss_kib(server: ChildServer) -> int:
    """Resident memory after a round (every turn ended): the least of a few samples."""
    samples = []
    for _ in range(5):
        samples.append(server.rss_kib())
        time.sleep(0.2)  # sampling interval, not a wait for anything
    return min(samples)


def _load(target: Target, *, per_round: int, rounds: int, bound_rss: bool) -> None:
    server, database = target.server, target.database_url
    rss: list[int] = []
    turns = 0
    for r in range(rounds):
        started = time.monotonic()
        turn_ids = asyncio.run(_round(server.base_url, per_round, per_round, r * per_round))
        turns += len(turn_ids)
        assert len(set(turn_ids)) == 2 * per_round
        rss.append(_settled_rss_kib(server))
        print(
            f"round {r}: {2 * per_round} turns in {time.monotonic() - started:.1f}s, "
            f"rss {rss[-1] / 1024:.0f} MiB"
        )
    stored_turns = len(query(database, "SELECT id FROM turns"))
    assert stored_turns >= turns
    assert runs_by_status(database) == {"done": 2 * stored_turns}
    assert not query(database, "SELECT id FROM turns WHERE status != 'done'")
    statuses = [
        json.loads(line)["status"]
        for line in server.log_text().splitlines()
        if line.startswith("{") and '"status"' in line
    ]
    assert not [s for s in statuses if s >= 500]
    assert "Traceback" not in server.log_text()
    record_figure("turns completed under concurrent load (every run done)", turns)
    if bound_rss:  # the first rounds grow the allocator's arenas; later ones must not
        growth_mib = (rss[-1] - rss[SETTLING_ROUNDS - 1]) / 1024
        assert growth_mib < MAX_GROWTH_MIB, f"memory grew {growth_mib:.1f} MiB: {rss}"


def test_concurrent_turns_complete(target: Target) -> None:
    _load(target, per_round=40, rounds=2, bound_rss=False)


@pytest.mark.slow
def test_200_streaming_and_200_wait_turns_at_once_and_memory_settles(target: Target) -> None:
    _load(target, per_round=200, rounds=SETTLING_ROUNDS + 2, bound_rss=True)

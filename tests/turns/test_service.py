"""The turn service without a server: scripted agents, a SQLite file, the in-process log.

Each test drives `TurnService` the way the routes do and checks what a client would see
(the turn's events in order, as the log holds them) against what is stored.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from sqlalchemy import event

from chatwait.event_log import LoggedEvent
from chatwait.store import Database, repo, turn_rows
from chatwait.turns import StartedTurn, TurnRecord, TurnRequest, TurnService
from tests.turns.scripted import Script, ScriptedProvider, scripted_service

AGENTS = ["alpha", "beta"]


@pytest.fixture
async def scripted(
    tmp_path: Path, db: Database
) -> AsyncIterator[tuple[TurnService, ScriptedProvider]]:
    service, provider = scripted_service(tmp_path, db, AGENTS, RUN_TIMEOUT_SECONDS=30)
    yield service, provider
    await service.shutdown(1)


async def _events(service: TurnService, turn_id: str) -> list[LoggedEvent]:
    read = await service.event_log.read(turn_id, 0, wait=0)
    assert read is not None
    return read.events


async def _until_logged(service: TurnService, turn_id: str, kind: str) -> None:
    """Until the turn's log holds an event of `kind` (bounded)."""
    after, seen = 0, False
    async with asyncio.timeout(10):
        while not seen:
            read = await service.event_log.read(turn_id, after, wait=5)
            assert read is not None
            seen = any(event.type == kind for event in read.events)
            after = read.last_seq


def _kinds(events: list[LoggedEvent]) -> list[tuple[str, dict[str, Any]]]:
    return [(e.type, json.loads(e.data)) for e in events]


def _texts(events: list[LoggedEvent]) -> dict[str, str]:
    chunks: dict[str, list[tuple[int, str]]] = {}
    for kind, data in _kinds(events):
        if kind == "delta":
            chunks.setdefault(data["run_id"], []).append((data["index"], data["text"]))
    return {run: "".join(t for _, t in sorted(parts)) for run, parts in chunks.items()}


async def _user(service: TurnService) -> str:
    """The single local user (the one AUTH_MODE=none acts for)."""
    async with service.db.session() as session:
        return await repo.ensure_user(session=session)


async def _run(service: TurnService, agents: list[str] = AGENTS) -> tuple[StartedTurn, TurnRecord]:
    user_id = await _user(service)
    started = await service.start(TurnRequest(message="hello", agents=agents), user_id=user_id)
    await service.wait(started)
    return started, await service.reader.record(started.turn_id, user_id=user_id)


async def test_a_turn_streams_every_run_and_stores_what_it_streamed(
    scripted: tuple[TurnService, ScriptedProvider],
) -> None:
    service, provider = scripted
    provider.scripts["alpha"].append(Script(["Hel", "lo"], input_tokens=3, output_tokens=2))
    provider.scripts["beta"].append(Script(["Wor", "ld", "!"]))
    started, record = await _run(service)
    events = await _events(service, started.turn_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].type == "turn_started" and events[-1].type == "turn_done"
    assert record.status == "done"
    assert {r.agent: r.output for r in record.runs} == {"alpha": "Hello", "beta": "World!"}
    assert _texts(events) == {r.run_id: r.output for r in record.runs}
    alpha = record.runs[0]
    assert (alpha.usage.input_tokens, alpha.usage.output_tokens, alpha.attempts) == (3, 2, 1)
    assert alpha.ttft_ms is not None and alpha.latency_ms is not None
    assert alpha.latency_ms >= alpha.ttft_ms >= 0


async def test_text_that_comes_before_the_turn_opens_is_kept_in_order(
    scripted: tuple[TurnService, ScriptedProvider],
) -> None:
    """Chunks streamed before the request counts as sent (so before the turn's rows and its
    `turn_started` exist) are buffered, then logged after `run_started`, in order."""
    service, provider = scripted
    provider.scripts["alpha"].append(Script(["a", "b", "c", "d"], dispatch_after=3))
    started, record = await _run(service, ["alpha"])
    kinds = _kinds(await _events(service, started.turn_id))
    (run,) = record.runs
    assert [k for k, _ in kinds] == [
        "turn_started",
        "run_started",
        "delta",
        "delta",
        "delta",
        "delta",
        "run_done",
        "turn_done",
    ]
    assert [d["index"] for k, d in kinds if k == "delta"] == [0, 1, 2, 3]
    assert run.output == "abcd"


async def test_cancel_ends_unfinished_runs_cancelled_with_their_text(
    scripted: tuple[TurnService, ScriptedProvider],
) -> None:
    service, provider = scripted
    held = Script(["first ", "never"], hold_at=1)
    provider.scripts["alpha"].append(held)
    provider.scripts["beta"].append(Script(["quick"]))
    user_id = await _user(service)
    started = await service.start(TurnRequest(message="stop me", agents=AGENTS), user_id=user_id)
    await held.reached.wait()
    await _until_logged(service, started.turn_id, "run_done")  # beta ended before the cancel
    assert service.cancel_local(started.turn_id)
    await service.wait(started)
    record = await service.reader.record(started.turn_id, user_id=user_id)
    assert record.status == "cancelled"
    alpha, beta = record.runs
    assert (alpha.status, alpha.output) == ("cancelled", "first ")
    assert alpha.error is not None and alpha.error.code == "cancelled"
    assert (beta.status, beta.output) == ("done", "quick"), "a finished run stays done"
    kinds = _kinds(await _events(service, started.turn_id))
    assert kinds[-1] == ("turn_done", {"turn_id": started.turn_id, "status": "cancelled"})
    assert ("run_error", alpha.event_payload()) in kinds
    assert _texts(await _events(service, started.turn_id))[alpha.run_id] == "first "


async def test_a_run_over_its_time_limit_ends_timeout(tmp_path: Path, db: Database) -> None:
    service, provider = scripted_service(tmp_path, db, AGENTS, RUN_TIMEOUT_SECONDS=0.2)
    try:
        provider.scripts["alpha"].append(Script(["slow ", "never"], hold_at=1))
        provider.scripts["beta"].append(Script(["fine"]))
        _, record = await _run(service)
        alpha, beta = record.runs
        assert alpha.status == "timeout" and alpha.output == "slow "
        assert alpha.error is not None and alpha.error.retryable
        assert beta.status == "done"
        assert record.status == "done", "a run's timeout is the run's, not the turn's"
    finally:
        await service.shutdown(1)


async def test_a_provider_error_is_one_runs_error(
    scripted: tuple[TurnService, ScriptedProvider],
) -> None:
    service, provider = scripted
    limited = openai.RateLimitError(
        "slow down",
        response=httpx2.Response(429, request=httpx2.Request("POST", "http://p.invalid/v1")),
        body={
            "message": "Rate limit reached",
            "code": "rate_limit_exceeded",
        },  # as openai unwraps it
    )
    provider.scripts["alpha"].append(Script(["part", "lost"], fail_at=1, fail_with=limited))
    provider.scripts["beta"].append(Script(["fine"]))
    started, record = await _run(service)
    alpha, beta = record.runs
    # The SDK may drop chunks it had queued when the model raises (docs/reliability.md):
    # what holds is that the stream and the stored text agree, on a prefix of the answer.
    assert alpha.status == "error" and "part".startswith(alpha.output)
    assert _texts(await _events(service, started.turn_id)).get(alpha.run_id, "") == alpha.output
    assert alpha.error is not None and alpha.error.code == "rate_limited"
    assert "Rate limit reached" in (alpha.error.message or "")
    assert beta.status == "done" and beta.output == "fine"


async def test_the_last_run_is_stored_with_the_turn_in_one_commit(
    scripted: tuple[TurnService, ScriptedProvider], db: Database
) -> None:
    """Two runs: the turn's rows, the first run to end, then the last run with the turn."""
    service, provider = scripted
    provider.scripts["alpha"].append(Script(["a"]))
    provider.scripts["beta"].append(Script(["b"]))
    await _user(service)  # the user row exists before the counting starts
    transactions: list[list[str]] = [[]]

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        transactions[-1].append(statement.split()[0].upper() + " " + _table(statement))

    def committed(_conn: Any) -> None:
        transactions.append([])

    event.listen(db.engine.sync_engine, "before_cursor_execute", executed)
    event.listen(db.engine.sync_engine, "commit", committed)
    try:
        await _run(service)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", executed)
        event.remove(db.engine.sync_engine, "commit", committed)
    writes = [
        [s for s in t if s.split()[0] in ("INSERT", "UPDATE")]
        for t in transactions
        if any(s.split()[0] in ("INSERT", "UPDATE") for s in t)
    ]
    assert len(writes) == 3
    assert writes[1] == ["UPDATE runs"]
    assert writes[2] == ["UPDATE runs", "UPDATE turns"]


def _table(statement: str) -> str:
    words = statement.replace('"', "").split()
    for keyword in ("INTO", "UPDATE", "FROM"):
        if keyword in (w.upper() for w in words):
            index = [w.upper() for w in words].index(keyword)
            if index + 1 < len(words):
                return words[index + 1]
    return ""


async def test_concurrent_starts_with_one_key_start_one_turn(
    scripted: tuple[TurnService, ScriptedProvider],
) -> None:
    service, provider = scripted
    provider.scripts["alpha"].append(Script(["once"]))
    request = TurnRequest(message="only once", agents=["alpha"])
    user_id = await _user(service)
    starts = await asyncio.gather(
        *(service.start(request, user_id=user_id, idempotency_key="k") for _ in range(5))
    )
    assert len({s.turn_id for s in starts}) == 1
    assert [s.attached for s in starts].count(False) == 1
    await service.wait(starts[0])
    assert provider.scripts["alpha"] == [], "exactly one run was started"


async def test_a_turn_whose_write_fails_cancels_its_runs_unseen(
    scripted: tuple[TurnService, ScriptedProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs start before the turn's rows exist; if that write fails, nothing was shown."""
    service, provider = scripted
    held = Script(["streaming ", "on"], hold_at=1)
    provider.scripts["alpha"].append(held)
    provider.scripts["beta"].append(Script(["fine"]))

    async def failing_write(**_kwargs: Any) -> None:
        await held.reached.wait()  # a run is streaming when the write fails
        raise RuntimeError("database went away")

    monkeypatch.setattr(turn_rows, "insert_turn", failing_write)
    user_id = await _user(service)
    before = asyncio.all_tasks()
    with pytest.raises(RuntimeError, match="database went away"):
        await service.start(TurnRequest(message="lost", agents=AGENTS), user_id=user_id)
    left = {t for t in asyncio.all_tasks() - before if t.get_name().startswith(("turn-", "run-"))}
    if left:
        await asyncio.wait(left)
    assert all(t.cancelled() for t in left)
    assert service.live == {}
    assert len(service.event_log) == 0, "no event of the turn was logged"  # type: ignore[arg-type]
    assert [t for t in asyncio.all_tasks() if t.get_name().startswith(("turn-", "run-"))] == []

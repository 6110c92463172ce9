"""Persistence cost per turn: statements, transactions and time, on SQLite and Postgres.

Measured in this process on the product's own code: a `Runtime` (the object a server
holds) runs real turns against a fast offline provider, one at a time, while SQLAlchemy
event listeners count every statement and commit on its engine and a wrapper times every
`Database.session()` block (the unit the turn code persists in, commit included). The
`/chat/wait` answer's read (`TurnReader.record`) is counted apart. Each turn's CPU is
this process's (`time.process_time`, every thread: the event loop and aiosqlite's):
the turn's work below HTTP (limits, rows, the SDK run, its events), turns one at a time,
the provider in another process.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event

from bench.arms import chat_body
from bench.options import Options
from bench.procs import sim_server
from bench.stats import summary

T = TypeVar("T")
RunAsync = Callable[[Callable[[], Awaitable[T]]], T]


@dataclass
class DbMeter:
    """Statements, commits and time spent in session blocks since the last `reset`."""

    statements: Counter[str] = field(default_factory=Counter)
    commits: int = 0
    statement_s: float = 0.0
    session_s: float = 0.0

    def reset(self) -> None:
        self.statements.clear()
        self.commits = 0
        self.statement_s = self.session_s = 0.0

    def attach(self, db: Any) -> None:
        """Listen on `db`'s engine and time its session blocks (instance attribute only)."""
        engine = db.engine.sync_engine
        started: dict[int, float] = {}

        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            self.statements[statement.split(None, 1)[0].upper()] += 1
            started[id(cursor)] = time.perf_counter()

        def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            self.statement_s += time.perf_counter() - started.pop(id(cursor), time.perf_counter())

        def commit(conn: Any) -> None:
            self.commits += 1

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        event.listen(engine, "commit", commit)
        original = db.session

        @contextlib.asynccontextmanager
        async def timed() -> AsyncIterator[Any]:
            began = time.perf_counter()
            try:
                async with original() as session:
                    yield session
            finally:
                self.session_s += time.perf_counter() - began

        db.session = timed


async def measure(
    url: str, sim_url: str, data_dir: Path, turns: int, agent_counts: tuple[int, ...]
) -> dict[str, Any]:
    """Per agent count: what one turn costs the database (write path and wait read)."""
    from chatwait.config import Settings
    from chatwait.runtime import Runtime
    from chatwait.store import repo
    from chatwait.turns import TurnRequest

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        CHATWAIT_DATA_DIR=str(data_dir),
        DATABASE_URL=url,
        OFFLINE_BASE_URL=sim_url,
        CHATWAIT_UI=False,
        LOG_LEVEL="WARNING",
        # One user runs every turn: the default 30 a minute would refuse most of them
        # (unlimited turns are still counted, so the limits' statements are measured).
        LIMIT_TURNS_PER_MINUTE="unlimited",
        LIMIT_CONCURRENT_TURNS="unlimited",
    )
    runtime = await Runtime.start(settings)
    meter = DbMeter()
    meter.attach(runtime.db)
    out: dict[str, Any] = {}
    async with runtime.db.session() as session:
        user_id = await repo.ensure_user(session=session)
    try:
        for agents in (1, *agent_counts):  # the first pass warms up
            body = chat_body(agents, "persist")
            request = TurnRequest(body["message"], agents=body["agents"], models=body["models"])
            writes, reads, cpu = [], [], []
            meter.reset()
            for _ in range(turns):
                before, cpu_before = meter.session_s, time.process_time()
                started = await runtime.turns.start(request, user_id=user_id)
                await runtime.turns.wait(started)
                cpu.append((time.process_time() - cpu_before) * 1000)
                writes.append((meter.session_s - before) * 1000)
            write_counts, write_commits, statement_s = (
                dict(meter.statements),
                meter.commits,
                meter.statement_s,
            )
            meter.reset()
            for _ in range(turns):
                began = time.perf_counter()
                await runtime.reader.record(started.turn_id, user_id=user_id)
                reads.append((time.perf_counter() - began) * 1000)
            out[str(agents)] = {
                "turns": turns,
                "statements_per_turn": round(sum(write_counts.values()) / turns, 2),
                "by_kind_per_turn": {
                    k: round(v / turns, 2) for k, v in sorted(write_counts.items())
                },
                "commits_per_turn": round(write_commits / turns, 2),
                "db_ms_per_turn": summary(writes),
                "statement_ms_per_turn": round(statement_s * 1000 / turns, 2),
                "cpu_ms_per_turn": summary(cpu),
                "wait_read_statements": round(sum(meter.statements.values()) / turns, 2),
                "wait_read_ms": summary(reads),
            }
    finally:
        await runtime.stop()
    return out


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A throwaway Postgres database (dropped after); yields its SQLAlchemy URL."""
    import psycopg

    name = f"chatwait_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            + f"/{name}"
        )
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_persistence(options: Options, workdir: Path, run_async: RunAsync[Any]) -> dict[str, Any]:
    """Both databases (Postgres when reachable), against a fast provider."""
    turns, agents = options.persistence_turns, tuple(options.agents)
    results: dict[str, Any] = {}
    with sim_server(workdir, ttft_ms=0, tokens_per_second=5000, answer_tokens=20) as sim:
        sim_url = f"{sim.base_url}/v1"
        sqlite_url = f"sqlite+aiosqlite:///{(workdir / 'persist.db').as_posix()}"
        results["sqlite"] = run_async(lambda: measure(sqlite_url, sim_url, workdir, turns, agents))
        if options.postgres_url:
            try:
                with postgres_database(options.postgres_url) as url:
                    results["postgres"] = run_async(
                        lambda: measure(url, sim_url, workdir, turns, agents)
                    )
            except Exception as exc:  # noqa: BLE001 - Postgres is optional on a dev box
                results["postgres"] = {"skipped": f"{type(exc).__name__}: {exc}"[:200]}
    return results

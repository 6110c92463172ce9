"""What one trip to aiosqlite's worker thread costs the event loop, per statement.

`uv run python -m bench.experiments.sqlite_trips [--statements 2000]`

The same INSERT, one statement after another on one aiosqlite connection: as
SQLAlchemy's stock adapter issues it (open a cursor, execute, close: three trips), and
as `chatwait.store._sqlite_trips` does (the whole statement in one trip). Wall time
and process CPU (every thread) per statement. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

import aiosqlite


def _insert(connection: sqlite3.Connection, value: int) -> None:
    connection.execute("INSERT INTO t VALUES (?)", (value,)).close()


async def measure(statements: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with aiosqlite.connect(Path(tmp) / "trips.db") as db:
            await db.execute("CREATE TABLE t (x)")
            clock, cpu = time.perf_counter(), time.process_time()
            for value in range(statements):
                cursor = await db.cursor()
                await cursor.execute("INSERT INTO t VALUES (?)", (value,))
                await cursor.close()
            three = time.perf_counter() - clock, time.process_time() - cpu
            clock, cpu = time.perf_counter(), time.process_time()
            for value in range(statements):
                await db._execute(_insert, db._conn, value)
            one = time.perf_counter() - clock, time.process_time() - cpu
    per = 1e6 / statements
    return {
        "three_trips_wall_us": round(three[0] * per, 1),
        "three_trips_cpu_us": round(three[1] * per, 1),
        "one_trip_wall_us": round(one[0] * per, 1),
        "one_trip_cpu_us": round(one[1] * per, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.experiments.sqlite_trips", description=__doc__
    )
    parser.add_argument("--statements", type=int, default=2000)
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.statements))
    print("| trips per INSERT | wall us/statement | CPU us/statement |")
    print("|---|---|---|")
    print(
        f"| 3 (stock adapter) | {result['three_trips_wall_us']} | {result['three_trips_cpu_us']} |"
    )
    print(f"| 1 (`_sqlite_trips`) | {result['one_trip_wall_us']} | {result['one_trip_cpu_us']} |")


if __name__ == "__main__":
    main()

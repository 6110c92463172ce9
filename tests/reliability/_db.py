"""Read the server's database directly, with a synchronous engine of our own.

The HTTP API is what clients see; these helpers check what is really stored (every row
of every table), so "no partial row" and "no key in the database" are facts, not
inferences from an endpoint.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, inspect, text


def sync_url(url: str) -> str:
    """The same database through a synchronous driver."""
    if url.startswith("sqlite+aiosqlite://"):
        return "sqlite://" + url[len("sqlite+aiosqlite://") :]
    return url


def query(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Rows of one SQL query, as dicts."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def dump_tables(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (Alembic's bookkeeping included)."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            return {
                table: [
                    dict(r._mapping) for r in connection.execute(text(f'SELECT * FROM "{table}"'))
                ]
                for table in tables
            }
    finally:
        engine.dispose()


def row_counts(url: str) -> dict[str, int]:
    """Rows per table."""
    return {table: len(rows) for table, rows in dump_tables(url).items()}


def runs_of_turn(url: str, turn_id: str) -> list[dict[str, Any]]:
    """The stored run rows of one turn, in position order."""
    return query(url, "SELECT * FROM runs WHERE turn_id = :t ORDER BY position", t=turn_id)


def turn_row(url: str, turn_id: str) -> dict[str, Any]:
    return query(url, "SELECT * FROM turns WHERE id = :t", t=turn_id)[0]


def runs_by_status(url: str) -> dict[str, int]:
    """How many runs are stored in each status."""
    rows = query(url, "SELECT status, COUNT(*) AS n FROM runs GROUP BY status")
    return {row["status"]: int(row["n"]) for row in rows}

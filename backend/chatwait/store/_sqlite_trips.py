"""SQLite through aiosqlite with one trip to its thread per statement, not three or four.

SQLAlchemy's aiosqlite adapter makes every statement several trips to the connection's
worker thread (open a cursor, execute, fetch the rows, close the cursor), and each trip
costs the event loop a future, a cross-thread wake-up and a `get_running_loop` (a
`getpid` call on CPython 3.11): measured here, 260 us of wall time and 204 us of CPU per
INSERT against 87 us and 69 us in one trip (`bench.experiments.sqlite_trips`). A turn
runs some twenty statements, all on the loop every stream shares (docs/benchmarks.md,
"Thread hops and held objects off a turn's path").

`OneTripCursor` runs the whole statement (cursor, execute, description, rows, rowcount,
close) as one function in that thread, through aiosqlite's own queue, the way
SQLAlchemy's adapter already sets the isolation level. Everything else — connection,
transactions, server-side cursors, error translation — stays SQLAlchemy's and
aiosqlite's. `dbapi()` is handed to `create_async_engine(module=...)`.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

_Outcome = tuple[Any, Sequence[Any], int, int | None]
"""A statement's description, rows, rowcount and lastrowid."""


def _execute(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    """In the connection's thread: the statement, start to end."""
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else ()
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _execute_many(
    connection: sqlite3.Connection, operation: str, seq_of_parameters: Any
) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, seq_of_parameters)
        return cursor.description, (), cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statements each take one trip to the SQLite thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No aiosqlite cursor is opened here (that is a trip of its own): each
        # statement opens and closes a sqlite3 cursor in the thread.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            outcome = await self._connection._execute(
                _execute, self._connection._conn, operation, parameters
            )
            self._take(outcome)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            outcome = await self._connection._execute(
                _execute_many, self._connection._conn, operation, seq_of_parameters
            )
            self._take(outcome)

    def _take(self, outcome: _Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor was closed in the thread."""

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        raise NotImplementedError("SQLite has one result set per statement")

    def setinputsizes(self, *inputsizes: Any) -> None:
        """SQLite takes no input sizes."""


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as SQLAlchemy adapts it, with `OneTripCursor` for buffered cursors."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)

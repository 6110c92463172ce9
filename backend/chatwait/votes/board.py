"""The leaderboard: counted battles from the database, fitted by `compare`, cached.

A board is computed on the server from the battle rows alone (no join) and kept for
`LEADERBOARD_CACHE_SECONDS`; a vote in this process clears every cached board at once
(another replica's vote shows within the cache time). The fit runs in a worker thread so
a board over 100,000 votes never stalls the event loop's streams.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from chatwait.compare import board as fit_board
from chatwait.compare.table import BattleTable, table_from_columns
from chatwait.store import Database
from chatwait.store import votes as store
from chatwait.votes.records import Leaderboard, LeaderboardRow, StyleCoefficients

Scope = Literal["me", "all"]
Board = Literal["blind", "all"]


def _table(rows: Sequence[Any]) -> BattleTable:
    """Battle rows (`store.votes.BATTLE_COLUMNS`) as columns."""
    columns = [[row[i] for row in rows] for i in range(13)]
    return table_from_columns(
        columns[1],
        columns[5],
        columns[0],
        (columns[2], columns[3], columns[4]),
        (columns[6], columns[7], columns[8]),
        (columns[9], columns[10], columns[11], columns[12]),
    )


def compute(
    rows: Sequence[Any], *, min_battles: int
) -> tuple[list[LeaderboardRow], StyleCoefficients]:
    """Leaderboard rows from battle rows (`store.votes.BATTLE_COLUMNS`), and the style
    coefficients of the style-controlled column."""
    items = []
    result = fit_board(_table(rows), min_battles=min_battles)
    for row in result.rows:
        agent, model = row.key.split(store.KEY_SEPARATOR, 1)
        items.append(
            LeaderboardRow(
                model=model,
                agent=agent,
                rating=round(row.rating, 1),
                ci_low=round(row.ci_low, 1),
                ci_high=round(row.ci_high, 1),
                rank=row.rank,
                battles=row.battles,
                wins=row.wins,
                ties=row.ties,
                losses=row.losses,
                win_rate=round(row.win_rate, 4),
                median_ttft_ms=row.median_ttft_ms,
                median_latency_ms=row.median_latency_ms,
                mean_cost_usd=row.mean_cost_usd,
                cost_per_win=row.cost_per_win,
                style_rating=round(row.style_rating, 1),
                style_ci_low=round(row.style_ci_low, 1),
                style_ci_high=round(row.style_ci_high, 1),
                style_rank=row.style_rank,
            )
        )
    style = StyleCoefficients(**{k: round(v, 4) for k, v in result.style.items()})
    return items, style


class LeaderboardCache:
    """Boards by (scope, user, since, board), each for `ttl` seconds."""

    def __init__(self, *, db: Database, min_battles: int, ttl: float) -> None:
        self.db = db
        self.min_battles = min_battles
        self.ttl = ttl
        self._boards: dict[tuple[Any, ...], tuple[float, Leaderboard]] = {}
        self._computing: dict[tuple[Any, ...], asyncio.Task[Leaderboard]] = {}
        self._generation = 0
        """Bumped by `clear`: a board computed from battles read before it is not kept."""

    def clear(self) -> None:
        self._boards.clear()
        self._computing.clear()
        self._generation += 1

    async def get(
        self, *, scope: Scope, user_id: str, since: datetime | None, board: Board
    ) -> Leaderboard:
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        key = (scope, user_id if scope == "me" else None, since, board)
        now = time.monotonic()
        cached = self._boards.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        # One computation per board at a time: readers of a cold board share it.
        task = self._computing.get(key)
        if task is None:
            task = asyncio.create_task(self._compute(key, scope, user_id, since, board))
            self._computing[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        return await asyncio.shield(task)

    def _forget(self, key: tuple[Any, ...], task: asyncio.Task[Leaderboard]) -> None:
        if self._computing.get(key) is task:
            del self._computing[key]

    async def _compute(
        self,
        key: tuple[Any, ...],
        scope: Scope,
        user_id: str,
        since: datetime | None,
        board: Board,
    ) -> Leaderboard:
        generation = self._generation
        async with self.db.session() as session:
            rows = await store.counted_battles(
                session=session,
                user_id=user_id if scope == "me" else None,
                since=since,
                blind_only=board == "blind",
            )
        items, style = await asyncio.to_thread(compute, rows, min_battles=self.min_battles)
        result = Leaderboard(
            items=items,
            style=style,
            scope=scope,
            board=board,
            since=since.isoformat() if since else None,
            battles=len(rows),
            min_battles=self.min_battles,
            computed_at=datetime.now(UTC).isoformat(),
        )
        if self.ttl > 0 and generation == self._generation:
            if len(self._boards) > 1024:
                self._boards.clear()
            self._boards[key] = (time.monotonic() + self.ttl, result)
        return result

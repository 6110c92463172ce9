"""The server's board cache: cold readers share one computation; a vote clears it."""

from __future__ import annotations

import asyncio

from chatwait.store import Database
from chatwait.votes import LeaderboardCache


async def test_concurrent_readers_share_one_board_and_clear_recomputes(db: Database) -> None:
    cache = LeaderboardCache(db=db, min_battles=5, ttl=300)
    first, second = await asyncio.gather(
        *(cache.get(scope="all", user_id="u", since=None, board="blind") for _ in range(2))
    )
    assert first is second and first.items == []
    assert await cache.get(scope="all", user_id="other", since=None, board="blind") is first
    cache.clear()
    again = await cache.get(scope="all", user_id="u", since=None, board="blind")
    assert again is not first


async def test_scope_me_boards_are_per_user(db: Database) -> None:
    cache = LeaderboardCache(db=db, min_battles=5, ttl=300)
    mine = await cache.get(scope="me", user_id="u1", since=None, board="blind")
    theirs = await cache.get(scope="me", user_id="u2", since=None, board="blind")
    assert mine is not theirs

"""Votes on turns, blind reveals, and the leaderboard they feed (`compare` does the maths)."""

from chatwait.votes.board import Board, LeaderboardCache, Scope
from chatwait.votes.records import Leaderboard, LeaderboardRow, VoteResult
from chatwait.votes.service import VoteService

__all__ = [
    "Board",
    "Leaderboard",
    "LeaderboardCache",
    "LeaderboardRow",
    "Scope",
    "VoteResult",
    "VoteService",
]

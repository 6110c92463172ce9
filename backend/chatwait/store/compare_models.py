"""The compare tables: votes and the pairwise battles they imply (what the leaderboard
reads). Part of the one metadata, declared apart from `models.py` to keep it one size."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chatwait.store.models import Base, utcnow

__all__ = ["Battle", "Vote"]


class Vote(Base):
    """A user's verdict on one turn, with what it was given to judge.

    `snapshot` keeps each slot's run and its length, latency, TTFT, tokens and cost as
    they were at the vote; the pairwise battles it implies are rows of `battles`.
    """

    __tablename__ = "votes"
    __table_args__ = (Index("uq_votes_turn_user", "turn_id", "user_id", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    turn_id: Mapped[str] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    """winner | tie | both_bad | ranking"""
    winner_run_id: Mapped[str | None] = mapped_column(String(36), default=None)
    ranking: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    """Run ids, best first (kind `ranking`)."""
    blind: Mapped[bool] = mapped_column(Boolean)
    counted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    """Why it does not count (a slot that did not end `done`)."""
    identity: Mapped[bool] = mapped_column(Boolean, default=False)
    """An answer named a model family or vendor: kept out of the blind board."""
    time_to_vote_ms: Mapped[float | None] = mapped_column(Float, default=None)
    snapshot: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Battle(Base):
    """One pair of a vote: run A against run B and the outcome, with what the leaderboard
    reads of each side (so it never joins runs)."""

    __tablename__ = "battles"
    __table_args__ = (
        Index("ix_battles_user_created", "user_id", "created_at"),
        Index("ix_battles_created", "created_at"),
        Index("ix_battles_vote", "vote_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vote_id: Mapped[str] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(36))
    outcome: Mapped[str] = mapped_column(String(16))
    """a | b | tie | both_bad"""
    blind: Mapped[bool] = mapped_column(Boolean)
    counted: Mapped[bool] = mapped_column(Boolean)
    identity: Mapped[bool] = mapped_column(Boolean, default=False)
    run_a: Mapped[str] = mapped_column(String(36))
    agent_a: Mapped[str] = mapped_column(String(64))
    model_a: Mapped[str] = mapped_column(String(200))
    ttft_a: Mapped[float | None] = mapped_column(Float, default=None)
    latency_a: Mapped[float | None] = mapped_column(Float, default=None)
    cost_a: Mapped[float | None] = mapped_column(Float, default=None)
    length_a: Mapped[int | None] = mapped_column(Integer, default=None)
    """The answer's characters; `markdown_*` its headers, list items and bold spans."""
    markdown_a: Mapped[int | None] = mapped_column(Integer, default=None)
    run_b: Mapped[str] = mapped_column(String(36))
    agent_b: Mapped[str] = mapped_column(String(64))
    model_b: Mapped[str] = mapped_column(String(200))
    ttft_b: Mapped[float | None] = mapped_column(Float, default=None)
    latency_b: Mapped[float | None] = mapped_column(Float, default=None)
    cost_b: Mapped[float | None] = mapped_column(Float, default=None)
    length_b: Mapped[int | None] = mapped_column(Integer, default=None)
    markdown_b: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

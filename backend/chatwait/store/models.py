"""SQLAlchemy 2 tables: users and their sessions, API keys and provider keys, conversations,
turns, runs, idempotency keys, limits and usage, votes and their battles, shares, admin
agent toggles and the audit log.

A run row is written twice: when the turn starts (status `running`) and when it ends
(status, text, usage, timings). Nothing is written per token. At the end of a turn its
whole event transcript is stored on the turn row once, so a resume after the event log
forgot the turn replays exactly the same events with the same seq numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from chatwait.statuses import RunStatus, TurnStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    __table_args__ = (Index("uq_users_email", "email", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    identifier: Mapped[str] = mapped_column(String(200), unique=True)
    """`local` for the AUTH_MODE=none user; an account's normalised email otherwise."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    """Normalised (lower case); None for the local user, who never logs in."""
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    """Argon2id (PHC string); None: cannot log in with a password."""
    role: Mapped[str] = mapped_column(String(16), default="user", server_default="user")
    """user | admin"""
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AuthSession(Base):
    """One login: its refresh tokens rotate, its access tokens name it in `sid`."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_user", "user_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    """logout | refresh_reuse | disabled"""


class RefreshToken(Base):
    """A refresh token by its SHA-256 only; `used_at` set = spent (a reuse revokes the session)."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_session", "session_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("auth_sessions.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class ApiKey(Base):
    """An API key `cw_<id>_<secret>`: the id in clear, the whole key only as an HMAC-SHA256."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_user", "user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(48))
    """The key's first characters, to recognise it in a list (the id and a few more)."""
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_user_updated", "user_id", "updated_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    turns: Mapped[list[Turn]] = relationship(
        back_populates="conversation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Turn.created_at",
    )


class Turn(Base):
    __tablename__ = "turns"
    __table_args__ = (
        Index("ix_turns_conversation_created", "conversation_id", "created_at"),
        Index("ix_turns_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[TurnStatus] = mapped_column(String(20), default="running")
    owner: Mapped[str | None] = mapped_column(String(64), default=None)
    """The replica (process) running the turn, so a survivor can interrupt its runs."""
    transcript: Mapped[str | None] = mapped_column(Text, default=None)
    """The turn's events as JSON lines `[seq, type, data]`, written once at the end."""
    reset_after: Mapped[int | None] = mapped_column(Integer, default=None)
    """Set when a survivor ended the turn of a dead replica: seq numbers past it may have
    been seen by clients as events the transcript does not hold (their stream restarts)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    blind: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Runs are slots A, B, …: names, cost, tokens withheld until a vote or a reveal."""
    blind_seed: Mapped[int | None] = mapped_column(Integer, default=None)
    """Seeds the random order that gave the runs their slots."""
    revealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    """When a blind turn was voted on or revealed: it reads with names from then on."""

    conversation: Mapped[Conversation] = relationship(back_populates="turns")
    runs: Mapped[list[Run]] = relationship(
        back_populates="turn",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Run.position",
    )


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_turn", "turn_id"),
        Index("ix_runs_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    turn_id: Mapped[str] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    agent: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    status: Mapped[RunStatus] = mapped_column(String(20), default="running")
    output: Mapped[str] = mapped_column(Text, default="")
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float | None] = mapped_column(Float, default=None)
    latency_ms: Mapped[float | None] = mapped_column(Float, default=None)
    ttft_ms: Mapped[float | None] = mapped_column(Float, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    error_retryable: Mapped[bool] = mapped_column(Boolean, default=False)
    tool_calls: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    """The run's finished tool calls (`turns.records.ToolCallRecord` as JSON); None: none."""
    reasoning: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    slot: Mapped[str | None] = mapped_column(String(8), default=None)
    """Its label in a blind turn (A, B, …); None otherwise."""
    retry_of: Mapped[str | None] = mapped_column(String(36), default=None)
    """The run of the same turn this one regenerates."""
    fusion: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    """A fused run's strategy, prompt and source run ids in the order it read them."""

    turn: Mapped[Turn] = relationship(back_populates="runs")


class IdempotencyKey(Base):
    """An `Idempotency-Key` a user sent with a turn start, and the turn it started.

    The same key with the same request attaches to that turn instead of starting another;
    the row goes with its turn (deleting a conversation forgets its keys).
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_user_created", "user_id", "created_at"),)

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 (hex) of the request the key first came with."""
    turn_id: Mapped[str] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TurnLease(Base):
    """A started turn's hold on its user's limits, from admission to its `turn_done`.

    Written before anything else of the turn exists (no foreign key to `turns`): the row
    counts toward the user's concurrent turns and holds the turn's quota reservation,
    which shrinks as each run settles. A lease its process never ended (a crash) stops
    counting at `expires_at`.
    """

    __tablename__ = "turn_leases"
    __table_args__ = (Index("ix_turn_leases_user_expires", "user_id", "expires_at"),)

    turn_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    """Tokens still reserved: the estimate of the runs that have not settled."""
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UsageDaily(Base):
    """Settled usage per user, UTC day, agent and model: what quotas count.

    A ledger apart from `runs`, so deleting a conversation never gives quota back.
    """

    __tablename__ = "usage_daily"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    """YYYY-MM-DD (UTC); sorts as text, so a month is a range."""
    agent: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)


class UserLimitOverrides(Base):
    """An admin's per-user limits: `{name: number | "unlimited"}`; names absent = defaults."""

    __tablename__ = "user_limits"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Share(Base):
    """A read-only link to a conversation, by the SHA-256 of its token only."""

    __tablename__ = "shares"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hide_costs: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProviderKey(Base):
    """A user's own key for one agent's provider, only ever stored encrypted.

    AES-256-GCM under a key derived (HKDF-SHA256) from CHATWAIT_SECRET_KEY, a random nonce
    per record, `user_id|agent|key_version` as associated data: a row copied to another
    user or agent does not decrypt (`accounts/_key_cipher.py`).
    """

    __tablename__ = "provider_keys"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    agent: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    key_version: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped by every `chatwait keys rotate`; part of the associated data."""
    last4: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class AgentSetting(Base):
    """An admin's toggle for one agent: off, or a model allowlist within its models."""

    __tablename__ = "agent_settings"

    agent: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    models: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    """None: every model of the agent."""
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(36), default=None)


class AuditEntry(Base):
    """One admin change: who, what, when, the state before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[str] = mapped_column(String(36))
    actor_email: Mapped[str | None] = mapped_column(String(320), default=None)
    action: Mapped[str] = mapped_column(String(64))
    """`agent.update`, `user.update`, ..."""
    target: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

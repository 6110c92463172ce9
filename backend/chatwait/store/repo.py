"""Repository functions: keyword-only, one job each, the session passed in.

Routes and turns never see a session: they call these through `Database.session()`.
Every read of a user's data takes the owner (`user_id`) and finds nothing for anyone else:
a foreign conversation or turn looks exactly like a missing one. The few unscoped reads
(`get_any_turn`, `running_*`) are for the replicas' own bookkeeping, never for a request.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from chatwait.store.models import Conversation, IdempotencyKey, Run, Turn, User, utcnow

LOCAL_USER = "local"


def new_id() -> str:
    return str(uuid.uuid4())


async def ensure_user(*, session: AsyncSession, identifier: str = LOCAL_USER) -> str:
    """The id of the user with this identifier, created on first use.

    Concurrent first requests race to create the user; the loser's insert fails on the
    unique identifier inside a savepoint and it reads the winner's row (this was a 500).
    """
    query = select(User.id).where(User.identifier == identifier)
    user_id = await session.scalar(query)
    if user_id is not None:
        return user_id
    try:
        async with session.begin_nested():
            session.add(User(id=new_id(), identifier=identifier))
    except IntegrityError:
        pass
    user_id = await session.scalar(query)
    assert user_id is not None
    return user_id


def make_title(message: str, limit: int = 60) -> str:
    """A conversation title from its first message: first line, whole words, <= limit."""
    line = " ".join(message.split())
    if len(line) <= limit:
        return line or "New conversation"
    cut = line[:limit].rsplit(" ", 1)[0] or line[:limit]
    return cut.rstrip(" ,.;:") + "…"


async def get_conversation(
    *, session: AsyncSession, user_id: str, conversation_id: str
) -> Conversation | None:
    """The user's conversation, or None (missing or someone else's)."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None or conversation.user_id != user_id:
        return None
    return conversation


async def get_conversation_with_turns(
    *, session: AsyncSession, user_id: str, conversation_id: str
) -> Conversation | None:
    query = (
        select(Conversation)
        .where(Conversation.id == conversation_id, Conversation.user_id == user_id)
        .options(selectinload(Conversation.turns).selectinload(Turn.runs))
    )
    return await session.scalar(query)


async def list_conversations(
    *, session: AsyncSession, user_id: str, limit: int, offset: int
) -> tuple[Sequence[Conversation], int]:
    """A page of conversations, most recently active first, and the total count."""
    query = (
        select(Conversation)
        .where(Conversation.user_id == user_id)
        .order_by(Conversation.updated_at.desc(), Conversation.id)
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(
        select(func.count()).select_from(Conversation).where(Conversation.user_id == user_id)
    )
    return (await session.scalars(query)).all(), int(total or 0)


async def update_conversation(
    *,
    session: AsyncSession,
    conversation: Conversation,
    title: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Conversation:
    if title is not None:
        conversation.title = title
    if metadata is not None:
        conversation.meta = metadata
    conversation.updated_at = utcnow()
    await session.flush()
    return conversation


async def delete_conversation(*, session: AsyncSession, conversation: Conversation) -> None:
    await session.delete(conversation)
    await session.flush()


async def get_turn(*, session: AsyncSession, user_id: str, turn_id: str) -> Turn | None:
    """The user's turn with its runs, or None (missing or someone else's)."""
    query = (
        select(Turn)
        .join(Conversation, Turn.conversation_id == Conversation.id)
        .where(Turn.id == turn_id, Conversation.user_id == user_id)
        .options(selectinload(Turn.runs))
    )
    return await session.scalar(query)


async def owns_turn(*, session: AsyncSession, user_id: str, turn_id: str) -> bool:
    """Whether the turn exists and is the user's (one indexed lookup, no rows loaded)."""
    query = (
        select(Turn.id)
        .join(Conversation, Turn.conversation_id == Conversation.id)
        .where(Turn.id == turn_id, Conversation.user_id == user_id)
    )
    return await session.scalar(query) is not None


async def turn_blindness(
    *, session: AsyncSession, user_id: str, turn_id: str
) -> tuple[bool, datetime | None] | None:
    """(blind, revealed_at) of the user's turn, or None (missing or someone else's)."""
    query = (
        select(Turn.blind, Turn.revealed_at)
        .join(Conversation, Turn.conversation_id == Conversation.id)
        .where(Turn.id == turn_id, Conversation.user_id == user_id)
    )
    row = (await session.execute(query)).first()
    return None if row is None else (bool(row[0]), row[1])


async def get_any_turn(*, session: AsyncSession, turn_id: str) -> Turn | None:
    """Any user's turn: for a replica ending a dead owner's turns or routing a cancel it
    has already authorized, never to answer a request."""
    query = select(Turn).where(Turn.id == turn_id).options(selectinload(Turn.runs))
    return await session.scalar(query)


async def agent_history(
    *,
    session: AsyncSession,
    user_id: str,
    conversation_id: str,
    agent: str,
    limit: int,
    before: datetime | None = None,
) -> list[tuple[str, str | None]]:
    """(user message, this agent's answer or None) for the last `limit` finished turns
    (started before `before`, when given)."""
    conditions = [
        Turn.conversation_id == conversation_id,
        Conversation.user_id == user_id,
        Turn.status != "running",
    ]
    if before is not None:
        conditions.append(Turn.created_at < before)
    turns = (
        await session.scalars(
            select(Turn)
            .join(Conversation, Turn.conversation_id == Conversation.id)
            .where(*conditions)
            .order_by(Turn.created_at.desc())
            .limit(limit)
            .options(selectinload(Turn.runs))
        )
    ).all()
    history = []
    for turn in reversed(turns):
        answer = next((r.output for r in turn.runs if r.agent == agent and r.output), None)
        history.append((turn.message, answer))
    return history


async def claim_ended_turn(*, session: AsyncSession, turn_id: str, owner: str) -> bool:
    """Make an ended turn `running` again under `owner` (for another run); False if it is
    running already (someone else claimed it first)."""
    result = await session.execute(
        update(Turn)
        .where(Turn.id == turn_id, Turn.status != "running")
        .values(status="running", owner=owner, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def add_run(
    *,
    session: AsyncSession,
    turn_id: str,
    position: int,
    run: Mapping[str, str | None],
    retry_of: str | None,
    fusion: dict[str, Any] | None = None,
) -> None:
    """One more `running` run in an existing turn (a regenerate, a fusion)."""
    session.add(
        Run(
            id=str(run["run_id"]),
            turn_id=turn_id,
            position=position,
            agent=str(run["agent"]),
            provider=str(run["provider"]),
            model=str(run["model"]),
            status="running",
            output="",
            attempts=0,
            started_at=utcnow(),
            slot=run.get("slot"),
            retry_of=retry_of,
            fusion=fusion,
        )
    )
    await session.flush()


async def interrupt_runs(*, session: AsyncSession, owner: str | None = None) -> int:
    """Mark `running` runs and turns as `interrupted` (all, or one dead owner's)."""
    turn_filter = [Turn.status == "running"]
    if owner is not None:
        turn_filter.append(Turn.owner == owner)
    turn_ids = select(Turn.id).where(*turn_filter).scalar_subquery()
    now = utcnow()
    result = await session.execute(
        update(Run)
        .where(Run.status == "running", Run.turn_id.in_(turn_ids))
        .values(
            status="interrupted",
            error_code="interrupted",
            finished_at=now,
            error_message="the server stopped before this run finished",
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Turn)
        .where(*turn_filter)
        .values(status="interrupted", finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def running_owners(*, session: AsyncSession) -> list[str]:
    """Every process (replica) that owns a `running` turn."""
    query = select(Turn.owner).where(Turn.status == "running", Turn.owner.is_not(None)).distinct()
    return [owner for owner in (await session.scalars(query)).all() if owner]


async def running_turn_ids(*, session: AsyncSession, owner: str) -> list[str]:
    """The `running` turns one owner holds."""
    query = select(Turn.id).where(Turn.status == "running", Turn.owner == owner)
    return list((await session.scalars(query)).all())


async def find_idempotency_key(
    *, session: AsyncSession, user_id: str, key: str, since: datetime
) -> IdempotencyKey | None:
    """The user's key if it was remembered at or after `since` (older ones have expired)."""
    row = await session.get(IdempotencyKey, (user_id, key))
    if row is None or _aware(row.created_at) < since:
        return None
    return row


async def remember_idempotency_key(
    *,
    session: AsyncSession,
    user_id: str,
    key: str,
    request_hash: str,
    turn_id: str,
    now: datetime,
    expired_before: datetime,
) -> None:
    """Keep `key` → `turn_id` in the caller's transaction, dropping the user's expired keys.

    A key another request remembered first makes the flush raise `IntegrityError`: the
    caller's transaction (the turn it wrote) rolls back and that request's turn wins.
    """
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.created_at < expired_before
        )
    )
    session.add(
        IdempotencyKey(
            user_id=user_id, key=key, request_hash=request_hash, turn_id=turn_id, created_at=now
        )
    )
    await session.flush()


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes that were stored as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

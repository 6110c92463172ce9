"""Repository functions for votes, their battles and share links (keyword-only, scoped).

Every read of a user's data takes the owner; the one unscoped read is a share token's
conversation, which the token itself authorises.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from chatwait.store.compare_models import Battle, Vote
from chatwait.store.models import Conversation, Share, Turn

KEY_SEPARATOR = "\x1f"
"""Between agent and model in a contestant's key (neither holds it)."""

BATTLE_COLUMNS = (
    Battle.outcome,
    (Battle.agent_a + KEY_SEPARATOR + Battle.model_a).label("key_a"),
    Battle.ttft_a,
    Battle.latency_a,
    Battle.cost_a,
    (Battle.agent_b + KEY_SEPARATOR + Battle.model_b).label("key_b"),
    Battle.ttft_b,
    Battle.latency_b,
    Battle.cost_b,
    Battle.length_a,
    Battle.markdown_a,
    Battle.length_b,
    Battle.markdown_b,
)
"""What the leaderboard reads of a battle: outcome, then per side its key ("agent<US>model"),
TTFT, latency and cost; then A's and B's length and markdown count (style control)."""


async def get_vote(*, session: AsyncSession, user_id: str, turn_id: str) -> Vote | None:
    query = select(Vote).where(Vote.turn_id == turn_id, Vote.user_id == user_id)
    return await session.scalar(query)


async def add_vote(*, session: AsyncSession, vote: Vote, battles: Sequence[Battle]) -> None:
    """The vote and its battles in the caller's transaction; a second vote of the same user
    on the same turn makes the flush raise `IntegrityError`."""
    session.add(vote)
    await session.flush()
    session.add_all(battles)
    await session.flush()


async def counted_battles(
    *, session: AsyncSession, user_id: str | None, since: datetime | None, blind_only: bool
) -> Sequence[Any]:
    """Rows of `BATTLE_COLUMNS` for counted battles: one user's (or everyone's with None),
    since a moment; `blind_only` keeps blind battles whose answers named no model."""
    query = select(*BATTLE_COLUMNS).where(Battle.counted.is_(True))
    if user_id is not None:
        query = query.where(Battle.user_id == user_id)
    if since is not None:
        query = query.where(Battle.created_at >= since)
    if blind_only:
        query = query.where(Battle.blind.is_(True), Battle.identity.is_(False))
    return (await session.execute(query)).all()


async def get_share(*, session: AsyncSession, conversation_id: str) -> Share | None:
    return await session.get(Share, conversation_id)


async def put_share(
    *,
    session: AsyncSession,
    conversation_id: str,
    token_hash: str,
    hide_costs: bool,
    now: datetime,
) -> None:
    """The conversation's one link, replacing any earlier one (its token stops working)."""
    await session.execute(delete(Share).where(Share.conversation_id == conversation_id))
    session.add(
        Share(
            conversation_id=conversation_id,
            token_hash=token_hash,
            hide_costs=hide_costs,
            created_at=now,
        )
    )
    await session.flush()


async def delete_share(*, session: AsyncSession, conversation_id: str) -> bool:
    result = await session.execute(delete(Share).where(Share.conversation_id == conversation_id))
    return bool(getattr(result, "rowcount", 0))


async def shared_conversation(
    *, session: AsyncSession, token_hash: str
) -> tuple[Conversation, bool] | None:
    """The conversation a token's hash names with its turns and runs, and whether costs
    are hidden; None for an unknown or revoked token."""
    share = await session.scalar(select(Share).where(Share.token_hash == token_hash))
    if share is None:
        return None
    conversation = await session.scalar(
        select(Conversation)
        .where(Conversation.id == share.conversation_id)
        .options(selectinload(Conversation.turns).selectinload(Turn.runs))
    )
    return None if conversation is None else (conversation, share.hide_costs)

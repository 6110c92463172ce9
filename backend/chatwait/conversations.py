"""Conversation history: list, read, rename, delete, each for the user who owns it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chatwait.errors import NotFound
from chatwait.store import Conversation, Database, repo
from chatwait.turns import ConversationDetail, ConversationPage, ConversationSummary, check_text


async def list_page(db: Database, *, user_id: str, limit: int, offset: int) -> ConversationPage:
    async with db.session() as session:
        items, total = await repo.list_conversations(
            session=session, user_id=user_id, limit=limit, offset=offset
        )
        return ConversationPage(
            items=[ConversationSummary.from_row(c) for c in items],
            total=total,
            limit=limit,
            offset=offset,
        )


async def owned(session: AsyncSession, *, user_id: str, conversation_id: str) -> Conversation:
    """The user's conversation; one of someone else's is as missing as no conversation."""
    conversation = await repo.get_conversation(
        session=session, user_id=user_id, conversation_id=conversation_id
    )
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} does not exist")
    return conversation


async def read(db: Database, *, user_id: str, conversation_id: str) -> ConversationDetail:
    async with db.session() as session:
        conversation = await repo.get_conversation_with_turns(
            session=session, user_id=user_id, conversation_id=conversation_id
        )
        if conversation is None:
            raise NotFound(f"conversation {conversation_id} does not exist")
        return ConversationDetail.from_row(conversation)


async def update(
    db: Database,
    *,
    user_id: str,
    conversation_id: str,
    title: str | None,
    metadata: dict[str, Any] | None,
) -> ConversationSummary:
    if title is not None:
        title = " ".join(check_text(title, field="title", limit=200).split())
    async with db.session() as session:
        conversation = await owned(session, user_id=user_id, conversation_id=conversation_id)
        await repo.update_conversation(
            session=session, conversation=conversation, title=title, metadata=metadata
        )
        return ConversationSummary.from_row(conversation)


async def delete(db: Database, *, user_id: str, conversation_id: str) -> None:
    async with db.session() as session:
        conversation = await owned(session, user_id=user_id, conversation_id=conversation_id)
        await repo.delete_conversation(session=session, conversation=conversation)

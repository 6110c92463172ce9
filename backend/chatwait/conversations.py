"""Conversation history: list, read, rename, delete (for the single local user)."""

from __future__ import annotations

from typing import Any

from chatwait.errors import NotFound
from chatwait.store import Database, repo
from chatwait.turns import check_text, conversation_summary, conversation_view, turn_view


async def list_page(db: Database, *, limit: int, offset: int) -> dict[str, Any]:
    async with db.session() as session:
        user_id = await repo.ensure_user(session=session)
        items, total = await repo.list_conversations(
            session=session, user_id=user_id, limit=limit, offset=offset
        )
        return {
            "items": [conversation_summary(c) for c in items],
            "total": total,
            "limit": limit,
            "offset": offset,
        }


async def read(db: Database, conversation_id: str) -> dict[str, Any]:
    async with db.session() as session:
        conversation = await repo.get_conversation_with_turns(
            session=session, conversation_id=conversation_id
        )
        if conversation is None:
            raise NotFound(f"conversation {conversation_id} does not exist")
        return conversation_view(conversation)


async def update(
    db: Database, conversation_id: str, *, title: str | None, metadata: dict[str, Any] | None
) -> dict[str, Any]:
    if title is not None:
        title = " ".join(check_text(title, field="title", limit=200).split())
    async with db.session() as session:
        conversation = await repo.get_conversation(session=session, conversation_id=conversation_id)
        if conversation is None:
            raise NotFound(f"conversation {conversation_id} does not exist")
        await repo.update_conversation(
            session=session, conversation=conversation, title=title, metadata=metadata
        )
        return conversation_summary(conversation)


async def delete(db: Database, conversation_id: str) -> None:
    async with db.session() as session:
        conversation = await repo.get_conversation(session=session, conversation_id=conversation_id)
        if conversation is None:
            raise NotFound(f"conversation {conversation_id} does not exist")
        await repo.delete_conversation(session=session, conversation=conversation)


async def read_turn(db: Database, turn_id: str) -> dict[str, Any]:
    async with db.session() as session:
        turn = await repo.get_turn(session=session, turn_id=turn_id)
        if turn is None:
            raise NotFound(f"turn {turn_id} does not exist")
        return turn_view(turn)

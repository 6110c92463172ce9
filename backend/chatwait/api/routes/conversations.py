"""Conversation history routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from chatwait import conversations
from chatwait.api.deps import CurrentUser, RuntimeDep
from chatwait.api.schemas import (
    ERROR_RESPONSES,
    ConversationDetail,
    ConversationPage,
    ConversationPatch,
    ConversationSummary,
)

router = APIRouter(prefix="/conversations", tags=["conversations"])


@router.get("", response_model=ConversationPage, responses=ERROR_RESPONSES)
async def list_conversations(
    runtime: RuntimeDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ConversationPage:
    """Conversations, most recently active first."""
    return await conversations.list_page(
        runtime.db, user_id=user.user_id, limit=limit, offset=offset
    )


@router.get("/{conversation_id}", response_model=ConversationDetail, responses=ERROR_RESPONSES)
async def get_conversation(
    conversation_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser
) -> ConversationDetail:
    """A conversation with every turn and run."""
    return await conversations.read(
        runtime.db, user_id=user.user_id, conversation_id=str(conversation_id)
    )


@router.patch("/{conversation_id}", response_model=ConversationSummary, responses=ERROR_RESPONSES)
async def patch_conversation(
    conversation_id: uuid.UUID, body: ConversationPatch, runtime: RuntimeDep, user: CurrentUser
) -> ConversationSummary:
    """Rename, or replace the client-owned metadata."""
    return await conversations.update(
        runtime.db,
        user_id=user.user_id,
        conversation_id=str(conversation_id),
        title=body.title,
        metadata=body.metadata,
    )


@router.delete(
    "/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERROR_RESPONSES
)
async def delete_conversation(
    conversation_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser
) -> Response:
    """Delete a conversation with its turns and runs."""
    await conversations.delete(
        runtime.db, user_id=user.user_id, conversation_id=str(conversation_id)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)

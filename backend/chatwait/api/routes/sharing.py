"""Export a conversation, share it read-only, read a shared one (no login)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status

from chatwait import sharing
from chatwait.api.deps import CurrentUser, RuntimeDep
from chatwait.api.schemas import (
    ERROR_RESPONSES,
    ConversationDetail,
    ShareLink,
    ShareRequest,
    error_responses,
)

router = APIRouter(prefix="/conversations", tags=["conversations"])
open_router = APIRouter(tags=["conversations"])

EXPORT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {"application/json": {}, "text/markdown": {}},
        "description": "The conversation: ConversationDetail JSON, or a markdown document",
    },
    **ERROR_RESPONSES,
}


@router.get("/{conversation_id}/export", responses=EXPORT_RESPONSES)
async def export_conversation(
    conversation_id: uuid.UUID,
    runtime: RuntimeDep,
    user: CurrentUser,
    format: Annotated[Literal["markdown", "json"], Query()] = "json",
) -> Response:
    """Every turn and every run with its metadata, as a download."""
    name = f"conversation-{conversation_id}"
    if format == "markdown":
        text = await sharing.export_markdown(
            runtime.db, user_id=user.user_id, conversation_id=str(conversation_id)
        )
        return Response(
            text,
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.md"'},
        )
    detail = await sharing.export_json(
        runtime.db, user_id=user.user_id, conversation_id=str(conversation_id)
    )
    return Response(
        detail.model_dump_json(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
    )


@router.post(
    "/{conversation_id}/share",
    response_model=ShareLink,
    status_code=status.HTTP_201_CREATED,
    responses=ERROR_RESPONSES,
)
async def share_conversation(
    conversation_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    user: CurrentUser,
    body: ShareRequest | None = None,
) -> ShareLink:
    """A read-only link anyone can open without a login; a new link replaces the old."""
    token = await sharing.share(
        runtime.db,
        user_id=user.user_id,
        conversation_id=str(conversation_id),
        hide_costs=body.hide_costs if body else False,
    )
    return ShareLink(url=str(request.url_for("read_shared", token=token)))


@router.delete(
    "/{conversation_id}/share", status_code=status.HTTP_204_NO_CONTENT, responses=ERROR_RESPONSES
)
async def unshare_conversation(
    conversation_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser
) -> Response:
    """Revoke the link: it answers 404 from now on."""
    await sharing.unshare(runtime.db, user_id=user.user_id, conversation_id=str(conversation_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@open_router.get(
    "/shared/{token}",
    name="read_shared",
    response_model=ConversationDetail,
    responses=error_responses(404, 422),
)
async def read_shared(
    token: Annotated[str, Path(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")],
    runtime: RuntimeDep,
    response: Response,
) -> ConversationDetail:
    """A shared conversation, read-only, no login."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return await sharing.shared(runtime.db, token=token)

"""Compare routes: vote on a turn, reveal a blind one, read the leaderboard."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from chatwait.api.deps import CurrentUser, RuntimeDep
from chatwait.api.schemas import ERROR_RESPONSES, TurnRecord, VoteRequest
from chatwait.errors import ValidationFailed
from chatwait.votes import Board, Leaderboard, Scope, VoteResult

router = APIRouter(tags=["compare"])


@router.post("/chat/turns/{turn_id}/vote", response_model=VoteResult, responses=ERROR_RESPONSES)
async def vote(
    turn_id: uuid.UUID, body: VoteRequest, runtime: RuntimeDep, user: CurrentUser
) -> VoteResult:
    """Your one vote on an ended turn; it reveals a blind turn. 409 for a second vote."""
    return await runtime.votes.vote(
        str(turn_id), user_id=user.user_id, winner=body.winner, ranking=body.ranking
    )


@router.post("/chat/turns/{turn_id}/reveal", response_model=TurnRecord, responses=ERROR_RESPONSES)
async def reveal(turn_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser) -> TurnRecord:
    """Name a blind turn's runs without voting (the vote is forfeited)."""
    return await runtime.votes.reveal(str(turn_id), user_id=user.user_id)


@router.get("/leaderboard", response_model=Leaderboard, responses=ERROR_RESPONSES)
async def leaderboard(
    runtime: RuntimeDep,
    user: CurrentUser,
    scope: Annotated[Scope, Query(description="me: your votes; all: everyone's")] = "me",
    since: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Only battles from then on: an ISO 8601 date or date-time "
            "(UTC when it names no zone), e.g. 2026-12-01T00:00:00Z.",
        ),
    ] = None,
    board: Annotated[
        Board, Query(description="blind: blind battles that named no model; all: every vote")
    ] = "blind",
) -> Leaderboard:
    """Bradley–Terry ratings with 95 % intervals, ranks, win rates, timings and cost."""
    return await runtime.votes.board.get(
        scope=scope, user_id=user.user_id, since=_moment(since), board=board
    )


def _moment(text: str | None) -> datetime | None:
    """An ISO 8601 date or date-time; a number or anything else is a 422."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(
            f"since must be an ISO 8601 date or date-time, got {text[:40]!r}"
        ) from None

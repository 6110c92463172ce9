"""Add a run to an ended turn (a regenerate, a fusion): the steps both share.

The turn is claimed back (`running`, this process its owner) in the database, its event
log is reopened with its transcript, and the new run's events follow on the same seq
numbers: `run_started` (naming its agent and model, or its slot in a blind turn), its
events, its terminal event, then a new `turn_done`. A client that read the first
`turn_done` resumes after it (`Last-Event-ID`) to get them. The runs already in the turn
are never touched.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from chatwait.errors import Conflict, NotFound
from chatwait.event_log import EventLogUnavailable
from chatwait.store import Turn, repo
from chatwait.turns.live import LiveTurn
from chatwait.turns.live_run import LiveRun
from chatwait.turns.transcript import parse_transcript, replay_events

if TYPE_CHECKING:
    from chatwait.turns.service import TurnService

logger = logging.getLogger("chatwait.turns")


async def users_turn(session: AsyncSession, *, user_id: str, turn_id: str) -> Turn:
    """The user's turn with its runs; 404 when it is missing or someone else's."""
    turn = await repo.get_turn(session=session, user_id=user_id, turn_id=turn_id)
    if turn is None:
        raise NotFound(f"turn {turn_id} does not exist")
    return turn


def require_ended(turn: Turn, action: str) -> None:
    """409 `turn_running` unless the turn has ended."""
    if turn.status == "running":
        raise Conflict(
            f"turn {turn.id} is still running: {action} once it has ended", code="turn_running"
        )


async def reopened_turn(
    service: TurnService, session: AsyncSession, turn: Turn, *, user_id: str, agent: str
) -> tuple[LiveTurn, list[tuple[str, str | None]]]:
    """The ended turn as a live turn again (its transcript so far already published),
    and `agent`'s history in the conversation before it."""
    history = await repo.agent_history(
        session=session,
        user_id=user_id,
        conversation_id=turn.conversation_id,
        agent=agent,
        limit=service.settings.history_max_messages,
        before=turn.created_at,
    )
    events = parse_transcript(turn.transcript) if turn.transcript else replay_events(turn)
    live = LiveTurn(turn.id, turn.conversation_id, service.event_log, user_id=user_id)
    live.transcript = list(events)
    live.published = len(events)
    return live, history


async def start_added_run(
    service: TurnService, run: LiveRun, *, position: int, fusion: dict[str, Any] | None = None
) -> None:
    """Admit, claim and store `run` as the turn's next run, reopen the log, start it.

    The user's limits count it like a turn; a turn claimed by someone else meanwhile
    (another regenerate or fusion) is a 409 and leaves nothing behind.
    """
    live = run.turn
    live.runs = [run]
    await service._admit(live)
    try:
        async with service.db.session() as session:
            if not await repo.claim_ended_turn(
                session=session, turn_id=live.turn_id, owner=service.owner
            ):
                raise Conflict(f"turn {live.turn_id} is running again already", code="turn_running")
            await repo.add_run(
                session=session,
                turn_id=live.turn_id,
                position=position,
                run=run.ref().model_dump(),
                retry_of=run.retry_of,
                fusion=fusion,
            )
    except BaseException:
        await service._release(live)
        raise
    try:
        await service.event_log.reopen(live.turn_id, live.transcript)
    except EventLogUnavailable as exc:  # the turn's emits catch the log up later
        logger.warning("turn %s: could not reopen its event log: %s", live.turn_id, exc)
    service.begin(live)
    live.opened.set()

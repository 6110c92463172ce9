"""Regenerate one run of an ended turn: a new run in the same turn, streamed the same way.

The turn is claimed back (`running`, this process its owner) in the database, its event
log is reopened with its transcript, and the new run's events follow on the same seq
numbers: `run_started` (naming its agent, model and `retry_of`), its deltas, its terminal
event, then a new `turn_done`. A client that read the first `turn_done` resumes after it
(`Last-Event-ID`) to get them. The run it regenerates is never touched.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pydantic import BaseModel

from chatwait.errors import Conflict, NotFound
from chatwait.event_log import EventLogUnavailable
from chatwait.store import repo
from chatwait.turns.live import LiveTurn
from chatwait.turns.live_run import LiveRun
from chatwait.turns.transcript import parse_transcript, replay_events

if TYPE_CHECKING:
    from chatwait.turns.service import TurnService

logger = logging.getLogger("chatwait.turns")


class RetryStarted(BaseModel):
    turn_id: str
    run_id: str
    retry_of: str
    after: int
    """The seq of the turn's last event before the new run: resume after it."""


async def retry_run(
    service: TurnService, turn_id: str, run_id: str, *, user_id: str
) -> RetryStarted:
    """Start a new run of `run_id`'s agent and model in the user's ended turn.

    404 for someone else's or a missing turn or run; 409 while the turn runs, and for a
    blind turn (its slots would not hide a second run of the same model).
    """
    async with service.db.session() as session:
        turn = await repo.get_turn(session=session, user_id=user_id, turn_id=turn_id)
        if turn is None:
            raise NotFound(f"turn {turn_id} does not exist")
        old = next((run for run in turn.runs if run.id == run_id), None)
        if old is None:
            raise NotFound(f"run {run_id} is not a run of turn {turn_id}")
        if turn.status == "running":
            raise Conflict(
                f"turn {turn_id} is still running: regenerate once it has ended",
                code="turn_running",
            )
        if turn.blind:
            raise Conflict(
                "a blind turn's runs cannot be regenerated (a second run would name its slot)",
                code="blind_turn",
            )
        agent_name, model = old.agent, old.model
        history = await repo.agent_history(
            session=session,
            user_id=user_id,
            conversation_id=turn.conversation_id,
            agent=old.agent,
            limit=service.settings.history_max_messages,
            before=turn.created_at,
        )
        events = parse_transcript(turn.transcript) if turn.transcript else replay_events(turn)
        conversation_id, message, position = turn.conversation_id, turn.message, len(turn.runs)
    # The user's catalog, as for a new turn: a disabled agent or a revoked key refuses it.
    (agent,) = await service.catalog.resolve_many(
        user_id, [agent_name], {agent_name: model}, max_agents=1
    )
    live = LiveTurn(turn_id, conversation_id, service.event_log, user_id=user_id)
    live.transcript = list(events)
    live.published = len(events)
    run = LiveRun(repo.new_id(), agent, service.input_for(history, message), live, service.clock)
    run.retry_of = old.id
    live.runs = [run]
    await service._admit(live)  # the user's limits count a regenerate like a turn
    try:
        async with service.db.session() as session:
            if not await repo.claim_ended_turn(
                session=session, turn_id=turn_id, owner=service.owner
            ):
                raise Conflict(f"turn {turn_id} is running again already", code="turn_running")
            await repo.add_run(
                session=session,
                turn_id=turn_id,
                position=position,
                run=run.ref().model_dump(),
                retry_of=old.id,
            )
    except BaseException:
        await service._release(live)
        raise
    try:
        await service.event_log.reopen(turn_id, live.transcript)
    except EventLogUnavailable as exc:  # the turn's emits catch the log up later
        logger.warning("turn %s: could not reopen its event log: %s", turn_id, exc)
    service.begin(live)
    live.opened.set()
    return RetryStarted(turn_id=turn_id, run_id=run.run_id, retry_of=old.id, after=len(events))

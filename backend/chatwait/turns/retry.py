"""Regenerate one run of an ended turn: a new run in the same turn, streamed the same way
(`turns/extend.py`); its `run_started` names its agent, model and `retry_of`. The run it
regenerates is never touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from chatwait.errors import Conflict, NotFound
from chatwait.store import repo
from chatwait.turns.extend import reopened_turn, require_ended, start_added_run, users_turn
from chatwait.turns.live_run import LiveRun

if TYPE_CHECKING:
    from chatwait.turns.service import TurnService


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

    404 for someone else's or a missing turn or run; 409 while the turn runs, for a
    blind turn (its slots would not hide a second run of the same model), and for a fused
    run (a regenerate would drop the answers it read: fuse again instead).
    """
    async with service.db.session() as session:
        turn = await users_turn(session, user_id=user_id, turn_id=turn_id)
        old = next((run for run in turn.runs if run.id == run_id), None)
        if old is None:
            raise NotFound(f"run {run_id} is not a run of turn {turn_id}")
        require_ended(turn, "regenerate")
        if old.fusion:
            raise Conflict(
                f"run {run_id} is a fusion: fuse the turn again (POST /chat/turns/{turn_id}/fuse) "
                "to get another",
                code="fused_run",
            )
        if turn.blind:
            raise Conflict(
                "a blind turn's runs cannot be regenerated (a second run would name its slot)",
                code="blind_turn",
            )
        live, history = await reopened_turn(
            service, session, turn, user_id=user_id, agent=old.agent
        )
        old_id, message, position = old.id, turn.message, len(turn.runs)
        agent_name, model = old.agent, old.model
    # The user's catalog, as for a new turn: a disabled agent or a revoked key refuses it.
    (agent,) = await service.catalog.resolve_many(
        user_id, [agent_name], {agent_name: model}, max_agents=1
    )
    run = LiveRun(repo.new_id(), agent, service.input_for(history, message), live, service.clock)
    run.retry_of = old_id
    await start_added_run(service, run, position=position)
    return RetryStarted(
        turn_id=turn_id, run_id=run.run_id, retry_of=old_id, after=len(live.transcript)
    )

"""A turn's own rows on its hot path: inserted once, each run finished, the turn finished.

Every turn runs these statements, on the event loop its streams share, so they are
built once (Core statements on the tables, values bound at execution) rather than as
ORM objects and fresh statement trees per turn: SQLAlchemy's statement building and the
unit of work were most of a turn's database CPU (docs/benchmarks.md). Callers pass the
session of their transaction; every statement is keyed by ids the caller already scoped
to its user (the turn's conversation was looked up as theirs, or created for them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from chatwait.statuses import TurnStatus
from chatwait.store.models import Conversation, Run, Turn, utcnow

_conversations = cast(Table, Conversation.__table__)
_turns = cast(Table, Turn.__table__)
_runs = cast(Table, Run.__table__)

_INSERT_CONVERSATION = insert(_conversations)
_TOUCH_CONVERSATION = update(_conversations).where(
    _conversations.c.id == bindparam("b_conversation_id")
)
_INSERT_TURN = insert(_turns)
_INSERT_RUN = insert(_runs)
_FINISH_RUN = update(_runs).where(_runs.c.id == bindparam("b_run_id"))
_FINISH_TURN = update(_turns).where(_turns.c.id == bindparam("b_turn_id"))


@dataclass(frozen=True, slots=True)
class NewConversation:
    """A conversation the turn starts: inserted with it, in its transaction."""

    user_id: str
    title: str


async def insert_turn(
    *,
    session: AsyncSession,
    conversation_id: str,
    turn_id: str,
    message: str,
    runs: Sequence[Mapping[str, str | None]],
    owner: str,
    blind_seed: int | None = None,
    new_conversation: NewConversation | None = None,
) -> None:
    """The turn and all its runs, `running`; its conversation inserted when it is new,
    else its `updated_at` moved to the turn's start.

    Each of `runs` names its `run_id`, `agent`, `provider` and `model`, and its `slot`
    in a blind turn (`blind_seed` set: the seed that shuffled the slots).
    """
    now = utcnow()
    if new_conversation is not None:
        await session.execute(
            _INSERT_CONVERSATION,
            {
                "id": conversation_id,
                "user_id": new_conversation.user_id,
                "title": new_conversation.title,
                "metadata": {},
                "created_at": now,
                "updated_at": now,
            },
        )
    await session.execute(
        _INSERT_TURN,
        {
            "id": turn_id,
            "conversation_id": conversation_id,
            "message": message,
            "status": "running",
            "owner": owner,
            "created_at": now,
            "blind": blind_seed is not None,
            "blind_seed": blind_seed,
        },
    )
    if runs:
        await session.execute(
            _INSERT_RUN,
            [
                {
                    "id": str(run["run_id"]),
                    "turn_id": turn_id,
                    "position": position,
                    "agent": str(run["agent"]),
                    "provider": str(run["provider"]),
                    "model": str(run["model"]),
                    "slot": run.get("slot"),
                    "status": "running",
                    "output": "",
                    "attempts": 0,
                    "started_at": now,
                }
                for position, run in enumerate(runs)
            ],
        )
    if new_conversation is None:
        await session.execute(
            _TOUCH_CONVERSATION, {"b_conversation_id": conversation_id, "updated_at": now}
        )


async def finish_run(*, session: AsyncSession, run_id: str, values: Mapping[str, Any]) -> None:
    """Write a run's terminal columns (status, text, usage, timings, error)."""
    await session.execute(_FINISH_RUN, {**values, "finished_at": utcnow(), "b_run_id": run_id})


async def finish_turn(
    *,
    session: AsyncSession,
    turn_id: str,
    status: TurnStatus,
    transcript: str | None,
    reset_after: int | None = None,
) -> None:
    """Write a turn's end: its status, transcript and when."""
    await session.execute(
        _FINISH_TURN,
        {
            "status": status,
            "transcript": transcript,
            "reset_after": reset_after,
            "finished_at": utcnow(),
            "b_turn_id": turn_id,
        },
    )

"""A turn whose process died is renumbered: the UI reads it again from the start."""

from __future__ import annotations

import asyncio
from pathlib import Path

from chatwait.store import Database, repo
from chatwait.store.repo import RunResult
from chatwait_ui.api import ApiClient
from chatwait_ui.stream import follow_turn
from chatwait_ui.turn_view import TurnEvent, TurnView
from tests.support.app import running_app
from tests.support.databases import throwaway_database

PERSISTED = "Half an answer that survived the crash"


async def _crashed_turn(url: str) -> tuple[str, str]:
    """A turn left `running` with some persisted text, as a killed process leaves it."""
    db = Database(url)
    await db.upgrade()
    try:
        async with db.session() as session:
            user_id = await repo.ensure_user(session=session)
            conversation = await repo.create_conversation(
                session=session, user_id=user_id, title="crashed"
            )
            turn_id, run_id = repo.new_id(), repo.new_id()
            await repo.create_turn(
                session=session,
                conversation=conversation,
                turn_id=turn_id,
                message="hi",
                runs=[repo.NewRun(run_id, "offline", "offline", "offline-1")],
                owner="dead:1:x",
            )
            await repo.finish_run(
                session=session, run_id=run_id, result=RunResult(status="running", output=PERSISTED)
            )
    finally:
        await db.dispose()
    return turn_id, run_id


def test_follower_restarts_a_renumbered_turn(tmp_path: Path) -> None:
    with throwaway_database(tmp_path) as url:
        turn_id, run_id = asyncio.run(_crashed_turn(url))
        with running_app(tmp_path, DATABASE_URL=url) as (base_url, _):
            view = TurnView("streaming")
            for seq, kind, data in [
                (
                    1,
                    "turn_started",
                    {
                        "turn_id": turn_id,
                        "conversation_id": "c",
                        "runs": [
                            {
                                "run_id": run_id,
                                "agent": "offline",
                                "provider": "offline",
                                "model": "offline-1",
                            }
                        ],
                    },
                ),
                (2, "run_started", {"run_id": run_id}),
                (3, "delta", {"run_id": run_id, "index": 0, "text": "Half "}),
                (4, "delta", {"run_id": run_id, "index": 1, "text": "an "}),
            ]:
                view.apply(TurnEvent(seq, kind, data))

            async def follow() -> list[str]:
                api = ApiClient(base_url)
                try:
                    return [event.type async for event in follow_turn(api, view)]
                finally:
                    await api.aclose()

            seen = asyncio.run(follow())
            assert seen[-1] == "turn_done"
            pane = view.panes[run_id]
            assert pane.text == PERSISTED, "the old numbering's chunks were dropped, not mixed"
            assert pane.status == "interrupted"

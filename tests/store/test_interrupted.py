"""A process that died left runs `running`: the next start marks them `interrupted`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from chatwait.store import Database, repo
from tests.support.app import running_app
from tests.support.databases import throwaway_database


async def _leave_a_running_turn(url: str) -> tuple[str, str]:
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
    finally:
        await db.dispose()
    return turn_id, run_id


def test_runs_of_a_dead_process_become_interrupted(tmp_path: Path) -> None:
    with throwaway_database(tmp_path) as url:
        turn_id, _run_id = asyncio.run(_leave_a_running_turn(url))
        with (
            running_app(tmp_path, DATABASE_URL=url) as (base_url, _),
            httpx.Client(base_url=base_url) as client,
        ):
            turn = client.get(f"/chat/turns/{turn_id}").json()
            assert turn["status"] == "interrupted"
            assert turn["runs"][0]["status"] == "interrupted"
            assert turn["runs"][0]["error"]["code"] == "interrupted"
            replay = client.get(f"/chat/streaming/{turn_id}")
            kinds = [line[7:] for line in replay.text.splitlines() if line.startswith("event: ")]
            assert kinds == ["turn_started", "run_started", "run_error", "turn_done"]

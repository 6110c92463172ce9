"""Database states the tests start from, written through the product's own repository."""

from __future__ import annotations

from chatwait.store import Database, repo, turn_rows

OFFLINE_RUN = {"agent": "offline", "provider": "offline", "model": "offline-1"}


async def seed_running_turn(url: str, *, output: str = "") -> tuple[str, str]:
    """A one-run turn left `running` by a process that died; (turn id, run id).

    `output` is the text that process had persisted for the run.
    """
    db = Database(url)
    await db.upgrade()
    try:
        async with db.session() as session:
            user_id = await repo.ensure_user(session=session)
            turn_id, run_id = repo.new_id(), repo.new_id()
            await turn_rows.insert_turn(
                session=session,
                conversation_id=repo.new_id(),
                new_conversation=turn_rows.NewConversation(user_id, "crashed"),
                turn_id=turn_id,
                message="hi",
                runs=[
                    {
                        "run_id": run_id,
                        "agent": "offline",
                        "provider": "offline",
                        "model": "offline-1",
                    }
                ],
                owner="dead:1:x",
            )
            if output:
                await turn_rows.finish_run(
                    session=session,
                    run_id=run_id,
                    values={"status": "running", "output": output},
                )
    finally:
        await db.dispose()
    return turn_id, run_id

"""Database states the tests start from, written through the product's own repository."""

from __future__ import annotations

from chatwait.store import Database, repo

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
            conversation = await repo.create_conversation(
                session=session, user_id=user_id, title="crashed"
            )
            turn_id, run_id = repo.new_id(), repo.new_id()
            await repo.create_turn(
                session=session,
                conversation=conversation,
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
                await repo.finish_run(
                    session=session,
                    run_id=run_id,
                    values={"status": "running", "output": output},
                )
    finally:
        await db.dispose()
    return turn_id, run_id

"""Migration 0011: battles stored before it get each answer's length and markdown count."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, select

from chatwait.store import Battle, Conversation, Database, Run, Turn, User, Vote


async def test_the_upgrade_fills_the_style_of_battles_already_stored(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'style.db'}")
    try:
        await db.upgrade("0010")
        answers = {"run-a": "# Plan\n\n- one\n- **two**\n```\n- code\n```", "run-b": "Short."}
        async with db.session() as session:
            session.add(User(id="user", identifier="user"))
            await session.flush()
            session.add(Conversation(id="conv", user_id="user", title="t", meta={}))
            await session.flush()
            session.add(Turn(id="turn", conversation_id="conv", message="m", status="done"))
            await session.flush()
            for position, (run_id, output) in enumerate(answers.items()):
                session.add(
                    Run(
                        id=run_id,
                        turn_id="turn",
                        position=position,
                        agent=run_id,
                        provider="p",
                        model="m",
                        status="done",
                        output=output,
                    )
                )
            session.add(
                Vote(
                    id="vote",
                    turn_id="turn",
                    user_id="user",
                    kind="winner",
                    blind=True,
                    counted=True,
                    snapshot=[],
                )
            )
            await session.flush()
            row = {
                "id": "battle",
                "vote_id": "vote",
                "user_id": "user",
                "outcome": "a",
                "blind": True,
                "counted": True,
                "identity": False,
                "run_a": "run-a",
                "agent_a": "run-a",
                "model_a": "m",
                "run_b": "run-b",
                "agent_b": "run-b",
                "model_b": "m",
            }
            await session.execute(insert(Battle.__table__).values(row))
        await db.upgrade()
        async with db.session() as session:
            battle = await session.scalar(select(Battle))
        assert battle is not None
        assert (battle.length_a, battle.length_b) == (len(answers["run-a"]), len("Short."))
        assert (battle.markdown_a, battle.markdown_b) == (4, 0)  # a header, two items, bold
        await db.downgrade("0010")
    finally:
        await db.dispose()

"""Idempotency keys in the store: remembered with their turn, forgotten after the TTL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chatwait.store import Database, repo, turn_rows
from chatwait.turns.idempotency import IdempotencyKeys, KeyedStart


async def _turn(db: Database) -> tuple[str, str]:
    """A stored turn: (user id, turn id)."""
    async with db.session() as session:
        user_id = await repo.ensure_user(session=session)
        turn_id = repo.new_id()
        await turn_rows.insert_turn(
            session=session,
            conversation_id=repo.new_id(),
            new_conversation=turn_rows.NewConversation(user_id, "t"),
            turn_id=turn_id,
            message="hi",
            runs=[],
            owner="me",
        )
    return user_id, turn_id


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_a_key_names_its_turn_until_it_expires(db: Database) -> None:
    clock = Clock()
    keys = IdempotencyKeys(ttl_seconds=24 * 3600, now=clock)
    user_id, turn_id = await _turn(db)
    keyed = KeyedStart(user_id, "k-1", "f" * 64)
    async with db.session() as session:
        await keys.remember(session, keyed, turn_id)

    clock.now += timedelta(hours=23, minutes=59)
    assert await keys.find(db, keyed) == (turn_id, "f" * 64)
    clock.now += timedelta(minutes=2)
    assert await keys.find(db, keyed) is None, "past the TTL the key is free again"

    _, second = await _turn(db)
    async with db.session() as session:  # reusing an expired key replaces its row
        await keys.remember(session, keyed, second)
    assert await keys.find(db, keyed) == (second, "f" * 64)


async def test_deleting_the_conversation_forgets_its_keys(db: Database) -> None:
    keys = IdempotencyKeys(ttl_seconds=24 * 3600)
    user_id, turn_id = await _turn(db)
    keyed = KeyedStart(user_id, "k-2", "a" * 64)
    async with db.session() as session:
        await keys.remember(session, keyed, turn_id)
        turn = await repo.get_turn(session=session, user_id=user_id, turn_id=turn_id)
        assert turn is not None
        conversation = await repo.get_conversation(
            session=session, user_id=user_id, conversation_id=turn.conversation_id
        )
        assert conversation is not None
        await repo.delete_conversation(session=session, conversation=conversation)
    assert await keys.find(db, keyed) is None

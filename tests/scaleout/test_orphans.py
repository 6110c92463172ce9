"""Ending a dead replica's turns: log, rows and transcript agree (in-process, SQLite).

The process tests kill real replicas; these pin down what a survivor writes, with an
in-memory log standing in for Redis (the same `TurnEventLog` contract).
"""

from __future__ import annotations

import json

from chatwait.cluster.orphans import end_owner_turns, running_owners
from chatwait.event_log import LoggedEvent, MemoryEventLog
from chatwait.store import Database, repo, turn_rows
from chatwait.turns import LiveTurn, RunRecord
from chatwait.turns.events import Delta, RunDone, RunStarted, TurnStarted
from chatwait.turns.transcript import replay_events


async def _turn(db: Database, owner: str, agents: int = 2) -> tuple[str, str, list[str]]:
    """A `running` turn of `owner`: (turn id, conversation id, run ids)."""
    async with db.session() as session:
        user_id = await repo.ensure_user(session=session)
        conversation_id, turn_id = repo.new_id(), repo.new_id()
        runs = [
            {"run_id": repo.new_id(), "agent": f"agent-{i}", "provider": "offline", "model": "m"}
            for i in range(agents)
        ]
        await turn_rows.insert_turn(
            session=session,
            conversation_id=conversation_id,
            new_conversation=turn_rows.NewConversation(user_id, "t"),
            turn_id=turn_id,
            message="hi",
            runs=runs,
            owner=owner,
        )
        return turn_id, conversation_id, [r["run_id"] for r in runs]


async def test_a_dead_owners_turn_is_ended_in_the_log_and_the_database(db: Database) -> None:
    log = MemoryEventLog()
    turn_id, conversation_id, (talking, finished) = await _turn(db, "dead:1:a")
    live = LiveTurn(turn_id, conversation_id, log)
    await live.emit(TurnStarted(turn_id, conversation_id, []))
    for run_id in (talking, finished):
        await live.emit(RunStarted(run_id))
    await live.emit(Delta(talking, 0, "Hel"))
    await live.emit(Delta(talking, 1, "lo"))
    async with db.session() as session:
        await turn_rows.finish_run(session=session, run_id=finished, values={"status": "done"})
        stored = await repo.get_any_turn(session=session, turn_id=turn_id)
        assert stored is not None
        done_view = next(RunRecord.from_row(r) for r in stored.runs if r.id == finished)
    await live.emit(RunDone(done_view))
    unpublished, _, _ = await _turn(db, "dead:1:a")
    alive, _, _ = await _turn(db, "alive:2:b")
    assert sorted(await running_owners(db)) == ["alive:2:b", "dead:1:a"]

    assert await end_owner_turns(db=db, event_log=log, owner="dead:1:a") == 2

    read = await log.read(turn_id, 0, wait=0)
    assert read is not None and read.finished
    assert read.events[: len(live.transcript)] == live.transcript, "nothing rewritten"
    added = read.events[len(live.transcript) :]
    assert [(e.seq, e.type) for e in added] == [(7, "run_error"), (8, "turn_done")]
    error = json.loads(added[0].data)
    assert error["run_id"] == talking and error["status"] == "interrupted"
    assert error["error"]["code"] == "interrupted"
    assert json.loads(added[1].data) == {"turn_id": turn_id, "status": "interrupted"}

    async with db.session() as session:
        turn = await repo.get_any_turn(session=session, turn_id=turn_id)
        assert turn is not None and turn.status == "interrupted"
        runs = {r.id: r for r in turn.runs}
        assert runs[talking].status == "interrupted" and runs[talking].output == "Hello"
        assert runs[finished].status == "done"
        assert replay_events(turn) == read.events, "after retention: the very same stream"
        others = {
            t: (await repo.get_any_turn(session=session, turn_id=t)).status  # type: ignore[union-attr]
            for t in (unpublished, alive)
        }
    assert others == {unpublished: "interrupted", alive: "running"}
    assert await running_owners(db) == ["alive:2:b"]


async def test_an_owner_that_got_as_far_as_turn_done_keeps_its_status(db: Database) -> None:
    log = MemoryEventLog()
    turn_id, conversation_id, (run_id,) = await _turn(db, "dead:3:c", agents=1)
    events = [
        LoggedEvent(1, "turn_started", "{}"),
        LoggedEvent(2, "run_started", json.dumps({"run_id": run_id})),
        LoggedEvent(3, "run_done", json.dumps({"run_id": run_id, "status": "done"})),
        LoggedEvent(4, "turn_done", json.dumps({"turn_id": turn_id, "status": "done"})),
    ]
    for event in events:
        await log.append(turn_id, event)
    async with db.session() as session:
        await turn_rows.finish_run(
            session=session, run_id=run_id, values={"status": "done", "output": "x"}
        )
    await end_owner_turns(db=db, event_log=log, owner="dead:3:c")
    read = await log.read(turn_id, 0, wait=0)
    assert read is not None and read.finished and read.events == events
    async with db.session() as session:
        turn = await repo.get_any_turn(session=session, turn_id=turn_id)
        assert turn is not None and turn.status == "done"
        assert replay_events(turn) == events


async def test_a_dead_owners_turn_stops_counting_against_its_users_limits(db: Database) -> None:
    from chatwait.config import Settings
    from chatwait.limits import Limits, RunEstimate

    log = MemoryEventLog()
    turn_id, _, (run_id,) = await _turn(db, "dead:4:d", agents=1)
    await log.append(turn_id, LoggedEvent(1, "turn_started", "{}"))
    async with db.session() as session:
        user_id = await repo.ensure_user(session=session)
    limits = Limits(Settings(_env_file=None, LIMIT_CONCURRENT_TURNS=1), db)  # type: ignore[call-arg]
    await limits.admit(user_id=user_id, turn_id=turn_id, estimates=[RunEstimate(run_id, 10)])
    assert (await limits.usage(user_id)).limits["concurrent_turns"].used == 1
    await end_owner_turns(db=db, event_log=log, owner="dead:4:d")
    report = await limits.usage(user_id)
    assert report.limits["concurrent_turns"].used == 0
    assert report.limits["tokens_per_day"].reserved == 0
    await limits.close()

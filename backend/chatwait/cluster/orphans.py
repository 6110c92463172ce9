"""End the turns of a replica that died: database rows, event log and transcript agree.

The owner of a turn is its only writer, so once the owner is gone its turn's event log
just stops: readers blocked on it would wait for a `turn_done` that never comes. A
survivor finishes the turn for it, continuing the turn's own seq numbers:

1. read every event the log holds for the turn;
2. append a `run_error` (status `interrupted`) for each run that had not ended, then
   `turn_done` (unless the owner got that far), which wakes and ends every reader;
3. persist the runs `interrupted` with the text their deltas carried, and the turn with
   the full transcript, so a resume after the log forgot the turn replays exactly the
   events the log served;
4. mark the log finished, which starts its retention countdown.

A turn the log does not hold (never published, expired) has no readers to wake; the
final `repo.interrupt_runs(owner=...)` marks it, and resumes rebuild it from its rows.
"""

from __future__ import annotations

import json
import logging

from chatwait.event_log import EventLogUnavailable, LoggedEvent, TurnEventLog
from chatwait.limits import end_lease
from chatwait.store import Database, Turn, repo, turn_rows
from chatwait.turns import RunErrorInfo, RunRecord
from chatwait.turns.events import TurnDone, TurnEvent, encode, terminal_event
from chatwait.turns.transcript import format_transcript

logger = logging.getLogger("chatwait.cluster")

INTERRUPTED_MESSAGE = "the replica running this turn stopped before this run finished"


async def running_owners(db: Database) -> list[str]:
    """Every replica that owns a `running` turn, by the database."""
    async with db.session() as session:
        return await repo.running_owners(session=session)


async def end_owner_turns(*, db: Database, event_log: TurnEventLog, owner: str) -> int:
    """End every running turn of a dead `owner`; the number of turns ended.

    Raises `EventLogUnavailable` and leaves the rest `running` when the log cannot be
    reached, so that a later attempt can still wake the readers of those turns.
    """
    async with db.session() as session:
        turn_ids = await repo.running_turn_ids(session=session, owner=owner)
    for turn_id in turn_ids:
        try:
            await end_turn(db=db, event_log=event_log, turn_id=turn_id)
        except EventLogUnavailable:
            raise
        except Exception:
            logger.exception("turn %s of dead replica %s: could not end it cleanly", turn_id, owner)
    async with db.session() as session:
        await repo.interrupt_runs(session=session, owner=owner)
    return len(turn_ids)


async def end_turn(*, db: Database, event_log: TurnEventLog, turn_id: str) -> None:
    """End one orphaned turn in the log and the database (steps 1-4 above)."""
    async with db.session() as session:
        turn = await repo.get_any_turn(session=session, turn_id=turn_id)
        if turn is None or turn.status != "running":
            return
        read = await event_log.read(turn_id, 0, wait=0)
        if read is None:
            return
        transcript = list(read.events)
        records, closing = _closing(turn, transcript)
        # The owner may have numbered (and its own readers seen) events it never
        # replicated: seqs past what the log holds now must not be trusted by a resume.
        reset_after = transcript[-1].seq if transcript else 0
        if closing:
            await event_log.mark_reset(turn_id, reset_after)
        for event in closing:
            logged = LoggedEvent(len(transcript) + 1, event.type, encode(event.payload()))
            await event_log.append(turn_id, logged)
            transcript.append(logged)
        for record in records:
            await turn_rows.finish_run(
                session=session, run_id=record.run_id, values=record.row_values()
            )
        last = transcript[-1] if transcript else None
        status = json.loads(last.data)["status"] if last and last.type == "turn_done" else None
        await turn_rows.finish_turn(
            session=session,
            turn_id=turn_id,
            status=status or "interrupted",
            transcript=format_transcript(transcript),
            reset_after=reset_after if closing else None,
        )
        await end_lease(session=session, turn_id=turn_id)
    await event_log.finish(turn_id)


def _closing(turn: Turn, events: list[LoggedEvent]) -> tuple[list[RunRecord], list[TurnEvent]]:
    """Final records of the runs that had not ended, and the events that end the turn."""
    ended: set[str] = set()
    chunks: dict[str, dict[int, str]] = {}
    for event in events:
        data = json.loads(event.data)
        if event.type in ("run_done", "run_error"):
            ended.add(data["run_id"])
        elif event.type == "delta":
            chunks.setdefault(data["run_id"], {})[data["index"]] = data["text"]
    turn_done = bool(events) and events[-1].type == "turn_done"
    records: list[RunRecord] = []
    closing: list[TurnEvent] = []
    for run in turn.runs:
        if run.status != "running" or run.id in ended:
            continue
        parts = chunks.get(run.id, {})
        record = RunRecord.from_row(run).model_copy(
            update={
                "status": "interrupted",
                "output": "".join(parts[i] for i in sorted(parts)),
                "error": RunErrorInfo(code="interrupted", message=INTERRUPTED_MESSAGE),
            }
        )
        records.append(record)
        if not turn_done:
            closing.append(terminal_event(record))
    if not turn_done:
        closing.append(TurnDone(turn.id, "interrupted"))
    return records, closing

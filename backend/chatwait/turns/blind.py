"""Blind turns: runs labelled A, B, … in a seeded random order, and their reveal.

A blind turn's events are written blind (`events.py` shapes them from the run's slot), so
its log and its stored transcript never name a model. Once the turn is voted on or
revealed, a replay rewrites the two kinds of event that carry identity, `turn_started`
and the terminal events, from the stored runs; deltas keep their slot.
"""

from __future__ import annotations

import json
import random
import secrets
import string
from collections.abc import AsyncIterator, Sequence

from chatwait.event_log import LoggedEvent
from chatwait.turns.events import encode
from chatwait.turns.records import RunRecord

MAX_SLOTS = len(string.ascii_uppercase)


def new_seed() -> int:
    return secrets.randbelow(2**31)


def assign_slots(count: int, seed: int) -> list[str]:
    """The slot of each of `count` runs (in request order): A, B, … shuffled by `seed`."""
    labels = list(string.ascii_uppercase[:count])
    random.Random(seed).shuffle(labels)
    return labels


def revealed(events: Sequence[LoggedEvent], runs: Sequence[RunRecord]) -> list[LoggedEvent]:
    """A revealed blind turn's events, named: same seq numbers, same deltas."""
    by_id = {run.run_id: run for run in runs}
    out = []
    for event in events:
        if event.type == "turn_started":
            data = json.loads(event.data)
            data["runs"] = [
                by_id[r["run_id"]].ref().model_dump() if r["run_id"] in by_id else r
                for r in data["runs"]
            ]
            data["revealed"] = True
            event = LoggedEvent(event.seq, event.type, encode(data))
        elif event.type == "run_started" and "slot" in (data := json.loads(event.data)):
            run = by_id.get(data["run_id"])  # a run added after the turn ended (a fusion)
            if run is not None:
                event = LoggedEvent(
                    event.seq, event.type, encode({**data, **run.ref().model_dump()})
                )
        elif event.type in ("run_done", "run_error"):
            run = by_id.get(json.loads(event.data).get("run_id"))
            if run is not None:
                event = LoggedEvent(event.seq, event.type, encode(run.revealed_payload()))
        out.append(event)
    return out


async def revealing(
    batches: AsyncIterator[list[LoggedEvent]], runs: Sequence[RunRecord]
) -> AsyncIterator[list[LoggedEvent]]:
    """`batches` with each event named (`revealed`)."""
    async for batch in batches:
        yield revealed(batch, runs)
